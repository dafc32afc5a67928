// Progressive enhancement of the place form: read a GeoJSON file into the text field, or draw
// a polygon on the map (tap the corners; the polygon closes itself).
import * as maplibregl from '/static/maplibre/maplibre-gl.mjs';

const text = document.getElementById('p-geometry');
const file = document.getElementById('p-file');
const mapEl = document.getElementById('draw-map');
document.querySelectorAll('.js-only').forEach((e) => { e.hidden = false; });

file.addEventListener('change', async () => {
  if (file.files[0]) text.value = await file.files[0].text();
});

const corners = [];
function polygon() {
  return { type: 'Polygon', coordinates: [[...corners, corners[0]]] };
}

async function main() {
  const tenant = await fetch(mapEl.dataset.outline, { credentials: 'same-origin' }).then((r) => r.json());
  mapEl.hidden = false;
  let b = [180, 90, -180, -90];
  const walk = (c) => {
    if (typeof c[0] === 'number') b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    else c.forEach(walk);
  };
  walk(tenant.outline.coordinates);
  const map = new maplibregl.Map({
    container: mapEl,
    style: {
      version: 8,
      sources: {
        outline: { type: 'geojson', data: { type: 'Feature', properties: {}, geometry: tenant.outline } },
        drawn: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      },
      layers: [
        { id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        { id: 'o', type: 'fill', source: 'outline', paint: { 'fill-color': '#ffffff' } },
        { id: 'ol', type: 'line', source: 'outline', paint: { 'line-color': '#004b87', 'line-width': 2 } },
        { id: 'd', type: 'fill', source: 'drawn', paint: { 'fill-color': '#b00020', 'fill-opacity': 0.3 } },
        { id: 'dl', type: 'line', source: 'drawn', paint: { 'line-color': '#b00020', 'line-width': 2 } },
      ],
    },
    bounds: [[b[0], b[1]], [b[2], b[3]]],
    attributionControl: false,
  });
  map.on('click', (e) => {
    corners.push([Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))]);
    if (corners.length >= 3) {
      text.value = JSON.stringify(polygon());
      map.getSource('drawn').setData({ type: 'Feature', properties: {}, geometry: polygon() });
    }
  });
  document.getElementById('draw-clear').addEventListener('click', () => {
    corners.length = 0;
    text.value = '';
    map.getSource('drawn').setData({ type: 'FeatureCollection', features: [] });
  });
}
main().catch((e) => console.error(e));
