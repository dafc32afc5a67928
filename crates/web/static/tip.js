// The tip page's "use my position" button: fills the hidden lat/lon fields from the phone's
// position and says so; without JavaScript the tip is sent with the place in words.
(function () {
  var button = document.getElementById('tip-locate');
  if (!button || !navigator.geolocation) return;
  var status = document.getElementById('tip-locate-status');
  button.hidden = false;
  button.addEventListener('click', function () {
    status.textContent = button.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById('tip-lat').value = p.coords.latitude.toFixed(6);
      document.getElementById('tip-lon').value = p.coords.longitude.toFixed(6);
      status.textContent = button.dataset.done;
    }, function () {
      status.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
