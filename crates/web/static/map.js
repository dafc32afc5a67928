// The incident map: MapLibre GL JS served by this server (no CDN), points by category with
// clustering, a heat map toggle and a period slider. Police events known only to municipality
// level are drawn as the municipality's area, never as points.
import * as maplibregl from '/static/maplibre/maplibre-gl.mjs';

const el = document.getElementById('map');
const status = document.getElementById('map-status');
const periodInput = document.getElementById('period');
const periodText = document.getElementById('period-value');
const heatToggle = document.getElementById('heatmap');
const coarseNote = document.getElementById('coarse-note');
const summaryBody = document.getElementById('summary-body');
const categories = JSON.parse(document.getElementById('categories-data').textContent);
const byCode = Object.fromEntries(categories.map((c) => [c.code, c]));

// The base map: none (the outline, with the municipality's own areas and places drawn and
// named below), raster tiles from a URL template with {z}/{x}/{y} (Lantmäteriet's topographic
// web map with the municipality's key, or OpenStreetMap tiles the municipality serves), or a
// MapLibre style URL.
function baseStyle(outline, url) {
  const raster = url && url.includes('{z}');
  return {
    version: 8,
    sources: {
      outline: { type: 'geojson', data: outline },
      ...(raster ? { base: { type: 'raster', tiles: [url], tileSize: 256 } } : {}),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
      ...(raster ? [{ id: 'base', type: 'raster', source: 'base' }]
        : [{ id: 'outline-fill', type: 'fill', source: 'outline', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.9 } }]),
      { id: 'outline-line', type: 'line', source: 'outline', paint: { 'line-color': '#004b87', 'line-width': 2 } },
    ],
  };
}

// The municipality's areas (outlined) and places and schools (marked), with their names as
// labels: without a base map, what tells one street corner from another.
async function drawPlaces(map) {
  const places = await fetch('/api/v1/places', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : []));
  const areas = places.filter((p) => p.kind === 'area' && p.geometry);
  map.addSource('areas', { type: 'geojson', data: { type: 'FeatureCollection', features: areas.map((p) => ({ type: 'Feature', properties: { name: p.name }, geometry: p.geometry })) } });
  map.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#5a3d8a', 'line-width': 1.5, 'line-dasharray': [2, 1] } });
  for (const p of places) {
    const label = document.createElement('span');
    label.className = `place-label${p.is_school ? ' school' : ''}${p.kind === 'area' ? ' area' : ''}`;
    label.textContent = p.name;
    label.setAttribute('aria-hidden', 'true');
    new maplibregl.Marker({ element: label, anchor: 'top' }).setLngLat([p.lon, p.lat]).addTo(map);
  }
  el.dataset.places = String(places.length);
}

function bbox(geometry) {
  let b = [180, 90, -180, -90];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[b[0], b[1]], [b[2], b[3]]];
}

// A municipality with many incidents: points come as vector tiles from the server, which
// gathers them into cells up to zoom 13 (`count` in each feature; `category` empty when a
// cell holds several; the circle grows with the count). The period slider asks for new
// tiles.
function tileLayers(map, days) {
  const source = () => {
    // By the day, so that everyone's map asks for the same tiles (the server keeps them).
    const from = new Date(Date.now() - days() * 86400000).toISOString().slice(0, 10);
    return `${window.location.origin}${el.dataset.tileUrl}?from=${from}`;
  };
  const color = ['match', ['get', 'category']];
  for (const c of categories) color.push(c.code, c.color || '#555555');
  color.push('#004b87');
  map.addSource('incidents', { type: 'vector', tiles: [source()], maxzoom: 16 });
  const count = ['to-number', ['get', 'count']];
  map.addLayer({
    id: 'clusters', type: 'circle', source: 'incidents', 'source-layer': 'incidents', filter: ['>', count, 1],
    paint: {
      'circle-color': color, 'circle-opacity': 0.75, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
      'circle-radius': ['step', count, 8, 5, 12, 20, 16, 100, 22, 500, 30],
    },
  });
  map.addLayer({
    id: 'points', type: 'circle', source: 'incidents', 'source-layer': 'incidents', filter: ['==', count, 1],
    paint: { 'circle-color': color, 'circle-radius': 6, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
  });
  map.addLayer({
    id: 'heat', type: 'heatmap', source: 'incidents', 'source-layer': 'incidents', layout: { visibility: 'none' },
    paint: { 'heatmap-radius': 25, 'heatmap-opacity': 0.8, 'heatmap-weight': ['min', 1, ['/', count, 20]] },
  });
  map.on('click', 'clusters', (e) => {
    map.easeTo({ center: e.features[0].geometry.coordinates, zoom: map.getZoom() + 2 });
  });
  periodInput.addEventListener('change', () => map.getSource('incidents').setTiles([source()]));
  const counted = () => {
    const seen = map.querySourceFeatures('incidents', { sourceLayer: 'incidents' });
    el.dataset.tileFeatures = String(seen.length);
  };
  map.on('idle', counted);
}

// On a phone the map gets the screen: the layer choices fold away until asked for.
if (window.matchMedia('(max-width: 40rem)').matches) {
  const layers = document.querySelector('details.map-layers');
  if (layers) layers.open = false;
}

async function main() {
  const tiles = el.dataset.tiles === '1';
  const [tenant, data] = await Promise.all([
    fetch(el.dataset.tenant, { credentials: 'same-origin' }).then((r) => r.json()),
    tiles ? Promise.resolve({ features: [] })
      : fetch(el.dataset.geojson, { credentials: 'same-origin' }).then((r) => r.json()),
  ]);
  const outline = { type: 'Feature', properties: {}, geometry: tenant.outline };
  const styleUrl = el.dataset.styleUrl;
  const map = new maplibregl.Map({
    container: el,
    style: styleUrl && !styleUrl.includes('{z}') ? styleUrl : baseStyle(outline, styleUrl),
    bounds: bbox(tenant.outline),
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));

  const now = Date.now();
  const exact = data.features.filter((f) => f.geometry);
  const coarse = data.features.filter((f) => !f.geometry);
  exact.forEach((f) => {
    f.properties.t = Date.parse(f.properties.occurred_from);
    f.properties.color = (byCode[f.properties.category] || {}).color || '#555555';
  });
  coarse.forEach((f) => { f.properties.t = Date.parse(f.properties.occurred_from); });

  function selected() {
    const days = Number(periodInput.value);
    const cutoff = now - days * 86400000;
    return {
      days,
      points: { type: 'FeatureCollection', features: exact.filter((f) => f.properties.t >= cutoff) },
      coarse: coarse.filter((f) => f.properties.t >= cutoff),
    };
  }

  function updateText(sel) {
    periodText.textContent = periodText.dataset.template.replace('{days}', sel.days);
    if (tiles) return;
    const n = sel.coarse.length;
    coarseNote.hidden = n === 0;
    coarseNote.textContent = n === 1 ? coarseNote.dataset.one : coarseNote.dataset.many.replace('999999', n).replace('999 999', n);
    const counts = {};
    for (const f of sel.points.features.concat(sel.coarse)) {
      counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
    }
    summaryBody.replaceChildren(...Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([code, count]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = (byCode[code] || { name: code }).name;
      const td = document.createElement('td');
      td.textContent = count;
      tr.append(th, td);
      return tr;
    }));
  }

  map.on('load', () => {
    const sel = selected();
    drawPlaces(map).catch((e) => console.warn('places', e));
    if (styleUrl && !styleUrl.includes('{z}')) {
      map.addSource('outline', { type: 'geojson', data: outline });
      map.addLayer({ id: 'outline-line', type: 'line', source: 'outline', paint: { 'line-color': '#004b87', 'line-width': 2 } });
    }
    if (tiles) {
      tileLayers(map, () => Number(periodInput.value));
      for (const layer of ['clusters', 'points']) {
        map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
        map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
      }
      map.on('click', 'points', (e) => {
        window.location.href = '/incidents/' + e.features[0].id;
      });
      updateText(sel);
      el.dataset.loaded = 'tiles';
      status.textContent = '';
      return;
    }
    map.addLayer({ id: 'coarse-fill', type: 'fill', source: 'outline', paint: { 'fill-color': '#004b87', 'fill-opacity': 0.08 } });
    map.addSource('incidents', { type: 'geojson', data: sel.points, cluster: true, clusterRadius: 40, clusterMaxZoom: 15 });
    map.addSource('incidents-heat', { type: 'geojson', data: sel.points });
    map.addLayer({
      id: 'clusters', type: 'circle', source: 'incidents', filter: ['has', 'point_count'],
      paint: {
        'circle-color': '#004b87', 'circle-opacity': 0.75, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
        'circle-radius': ['step', ['get', 'point_count'], 12, 10, 16, 50, 22, 200, 30],
      },
    });
    map.addLayer({
      id: 'points', type: 'circle', source: 'incidents', filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': ['get', 'color'], 'circle-radius': 6, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
    });
    map.addLayer({
      id: 'heat', type: 'heatmap', source: 'incidents-heat', layout: { visibility: 'none' },
      paint: { 'heatmap-radius': 25, 'heatmap-opacity': 0.8 },
    });
    map.on('click', 'clusters', async (e) => {
      const f = e.features[0];
      const zoom = await map.getSource('incidents').getClusterExpansionZoom(f.properties.cluster_id);
      map.easeTo({ center: f.geometry.coordinates, zoom });
    });
    map.on('click', 'points', (e) => {
      window.location.href = '/incidents/' + e.features[0].properties.id;
    });
    for (const layer of ['clusters', 'points']) {
      map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
    }
    updateText(sel);
    el.dataset.loaded = String(sel.points.features.length);
    status.textContent = '';
  });

  periodInput.addEventListener('input', () => {
    const sel = selected();
    if (tiles) {
      updateText(sel);
      return;
    }
    map.getSource('incidents')?.setData(sel.points);
    map.getSource('incidents-heat')?.setData(sel.points);
    updateText(sel);
    el.dataset.loaded = String(sel.points.features.length);
  });
  // Layers computed by the server for the chosen period: hot spots (Gi*) and kernel density.
  const serverLayers = [
    {
      id: 'hotspots', url: '/api/v1/hotspots.geojson?cell=100',
      paint: {
        'fill-opacity': 0.6,
        'fill-color': ['match', ['get', 'bin'], 3, '#b2182b', 2, '#ef8a62', 1, '#fddbc7', -1, '#d1e5f0', -2, '#67a9cf', -3, '#2166ac', '#ffffff'],
        'fill-outline-color': '#333333',
      },
    },
    {
      id: 'density', url: '/api/v1/density.geojson?cell=100&bandwidth=400',
      paint: {
        'fill-opacity': 0.55,
        'fill-color': ['match', ['get', 'level'], 5, '#7a0177', 4, '#c51b8a', 3, '#f768a1', 2, '#fbb4b9', '#feebe2'],
      },
    },
  ];
  for (const layer of serverLayers) {
    const toggle = document.getElementById(layer.id);
    const load = async () => {
      const days = Number(periodInput.value);
      const from = new Date(now - days * 86400000).toISOString().slice(0, 10);
      const data = await fetch(`${layer.url}&from=${from}`, { credentials: 'same-origin' }).then((r) => r.json());
      if (map.getSource(layer.id)) {
        map.getSource(layer.id).setData(data);
        map.setLayoutProperty(layer.id, 'visibility', 'visible');
      } else {
        map.addSource(layer.id, { type: 'geojson', data });
        map.addLayer({ id: layer.id, type: 'fill', source: layer.id, paint: layer.paint }, 'clusters');
      }
      el.dataset[layer.id] = String(data.features.length);
    };
    toggle.addEventListener('change', () => {
      if (toggle.checked) load().catch((e) => console.error(e));
      else if (map.getLayer(layer.id)) map.setLayoutProperty(layer.id, 'visibility', 'none');
    });
    periodInput.addEventListener('change', () => {
      if (toggle.checked) load().catch((e) => console.error(e));
    });
  }
  heatToggle.addEventListener('change', () => {
    const heat = heatToggle.checked;
    map.setLayoutProperty('heat', 'visibility', heat ? 'visible' : 'none');
    map.setLayoutProperty('clusters', 'visibility', heat ? 'none' : 'visible');
    map.setLayoutProperty('points', 'visibility', heat ? 'none' : 'visible');
  });
  window.lagesbildMap = map;
}

main().catch((err) => {
  console.error(err);
  status.textContent = el.dataset.failed;
});
