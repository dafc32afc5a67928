// The map of the report form, loaded only when the reporter asks for it (MapLibre is large):
// a tap sets the event's position. Everything it does can also be done without it.
import * as maplibregl from '/static/maplibre/maplibre-gl.mjs';

let tenant;

function css() {
  if (document.querySelector('link[data-maplibre]')) return;
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = '/static/maplibre/maplibre-gl.css';
  l.dataset.maplibre = '1';
  document.head.append(l);
}

export async function show(ev, setPoint) {
  css();
  tenant ??= await fetch('/api/v1/tenant', { credentials: 'same-origin' }).then((r) => r.json());
  const el = ev.querySelector('.pick-map');
  el.hidden = false;
  // For keyboard and screen reader users: past the map to the typed place.
  const skip = ev.querySelector('.skip-map');
  skip.hidden = false;
  skip.querySelector('a').href = `#${ev.querySelector('[name$="place_text"]').id}`;
  ev.querySelector('.map-hint').hidden = false;
  let b = [180, 90, -180, -90];
  const walk = (c) => {
    if (typeof c[0] === 'number') b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    else c.forEach(walk);
  };
  walk(tenant.outline.coordinates);
  const outline = { type: 'Feature', properties: {}, geometry: tenant.outline };
  const map = new maplibregl.Map({
    container: el,
    style: tenant.map_style_url && !tenant.map_style_url.includes('{z}') ? tenant.map_style_url : {
      version: 8,
      sources: {
        outline: { type: 'geojson', data: outline },
        ...(tenant.map_style_url ? { base: { type: 'raster', tiles: [tenant.map_style_url], tileSize: 256 } } : {}),
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        tenant.map_style_url ? { id: 'base', type: 'raster', source: 'base' }
          : { id: 'outline-fill', type: 'fill', source: 'outline', paint: { 'fill-color': '#ffffff' } },
        { id: 'outline-line', type: 'line', source: 'outline', paint: { 'line-color': '#004b87', 'line-width': 2 } },
      ],
    },
    bounds: [[b[0], b[1]], [b[2], b[3]]],
    fitBoundsOptions: { padding: 10 },
    attributionControl: false,
  });
  const marker = new maplibregl.Marker({ color: '#b00020' });
  const lat = ev.querySelector('[name$="lat"]');
  const lon = ev.querySelector('[name$="lon"]');
  if (lat.value && lon.value && !Number.isNaN(Number(lat.value)) && !Number.isNaN(Number(lon.value))) {
    marker.setLngLat([Number(lon.value), Number(lat.value)]).addTo(map);
  }
  map.on('click', (e) => {
    marker.setLngLat(e.lngLat).addTo(map);
    setPoint(e.lngLat.lat, e.lngLat.lng);
  });
  window.lagesbildPickMap = map;
  return map;
}
