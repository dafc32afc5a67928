// Progressive enhancement of the report form: tap a map or use the phone's position to fill
// the latitude and longitude fields. Without JavaScript the form works as it is.
import * as maplibregl from '/static/maplibre/maplibre-gl.mjs';

const lat = document.getElementById('lat');
const lon = document.getElementById('lon');
const placeSelect = document.getElementById('place_id');
const mapEl = document.getElementById('pick-map');
const button = document.getElementById('use-position');
const posStatus = document.getElementById('position-status');

document.querySelectorAll('.js-only').forEach((e) => { e.hidden = false; });
document.getElementById('error-summary')?.focus();

function setPoint(lngLat, marker, map) {
  lat.value = lngLat.lat.toFixed(6);
  lon.value = lngLat.lng.toFixed(6);
  placeSelect.value = '';
  marker.setLngLat(lngLat).addTo(map);
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
  const outline = { type: 'Feature', properties: {}, geometry: tenant.outline };
  const map = new maplibregl.Map({
    container: mapEl,
    style: tenant.map_style_url || {
      version: 8,
      sources: { outline: { type: 'geojson', data: outline } },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        { id: 'outline-fill', type: 'fill', source: 'outline', paint: { 'fill-color': '#ffffff' } },
        { id: 'outline-line', type: 'line', source: 'outline', paint: { 'line-color': '#004b87', 'line-width': 2 } },
      ],
    },
    bounds: [[b[0], b[1]], [b[2], b[3]]],
    fitBoundsOptions: { padding: 10 },
    attributionControl: false,
  });
  const marker = new maplibregl.Marker({ color: '#b00020' });
  if (lat.value && lon.value && !Number.isNaN(Number(lat.value)) && !Number.isNaN(Number(lon.value))) {
    marker.setLngLat([Number(lon.value), Number(lat.value)]).addTo(map);
  }
  map.on('click', (e) => setPoint(e.lngLat, marker, map));
  window.lagesbildPickMap = map;
  button.addEventListener('click', () => {
    if (!navigator.geolocation) { posStatus.textContent = button.dataset.failed; return; }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        const ll = { lat: p.coords.latitude, lng: p.coords.longitude };
        setPoint(ll, marker, map);
        map.easeTo({ center: ll, zoom: 15 });
        posStatus.textContent = '';
      },
      () => { posStatus.textContent = button.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
}

main().catch((e) => console.error(e));
