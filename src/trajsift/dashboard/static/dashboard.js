// Live dashboard: poll the JSON endpoint and swap in the server-rendered (escaped) SVG fragments.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var run = root.getAttribute("data-run") || "";
  var version = root.getAttribute("data-version") || "";
  var delay = 1500;

  function apply(data) {
    var fragments = data.fragments || {};
    Object.keys(fragments).forEach(function (id) {
      var target = document.getElementById(id);
      if (target && /^d-[a-z]+$/.test(id)) {
        target.innerHTML = fragments[id];
        target.classList.remove("flash");
        void target.offsetWidth;
        target.classList.add("flash");
      }
    });
    version = data.version;
    root.setAttribute("data-version", version);
    root.setAttribute("data-status", data.status);
  }

  function poll() {
    var url = "/api/dashboard/live?run=" + encodeURIComponent(run) + "&v=" + encodeURIComponent(version);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!data) { return; }
        if (data.changed) { apply(data); }
        delay = data.status === "running" || data.status === "empty" ? 1500 : 5000;  // empty: waiting for a run
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
