/* The ambient page's map (Leaflet): each area's marker (or district polygon at district
   level) coloured by its rank within its city, grey when it has no valid data. Data: the
   JSON of GET /api/ambient/index embedded in #ambient-data. No inline scripts (CSP). */
(function () {
  "use strict";

  var NONE = "#9e9e9e";

  function colour(area) {
    if (area.status !== "ranked" || !area.n_ranked) { return NONE; }
    var f = area.n_ranked > 1 ? (area.rank - 1) / (area.n_ranked - 1) : 0;
    if (f < 1 / 3) { return "#2e7d32"; }
    if (f < 2 / 3) { return "#f9a825"; }
    return "#c62828";
  }

  function fmt(v) { return v === null || v === undefined ? "–" : v.toFixed(2); }

  function popup(el, a) {
    var div = document.createElement("div");
    var b = document.createElement("b");
    b.textContent = a.name;
    div.appendChild(b);
    var p = document.createElement("div");
    p.textContent = el.dataset.indexLabel + ": " + fmt(a.composite_index) +
      (a.rank ? " · " + el.dataset.rankLabel + " " + a.rank + "/" + a.n_ranked : " · " + el.dataset.nodataLabel);
    div.appendChild(p);
    return div;
  }

  function init() {
    var el = document.getElementById("ambient-map");
    var src = document.getElementById("ambient-data");
    if (!el || !src || typeof L === "undefined") { return; }
    var data = JSON.parse(src.textContent);
    var map = L.map(el, { attributionControl: false });
    var bounds = [];
    var byDistrict = {};
    data.areas.forEach(function (a) {
      if (a.level === "district") { byDistrict[(a.city || "") + "|" + a.name] = a; }
      if (a.lat === null || a.lon === null) { return; }
      bounds.push([a.lat, a.lon]);
      L.circleMarker([a.lat, a.lon], {
        radius: a.level === "city" ? 14 : 8, color: "#333", weight: 1,
        fillColor: colour(a), fillOpacity: 0.85
      }).bindPopup(popup(el, a)).addTo(map);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 12 }); }
    else { map.setView([38.0, 114.5], 6); }
    fetch(el.dataset.districtsUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (geo) {
        if (!geo) { return; }
        L.geoJSON(geo, {
          style: function (f) {
            var p = f.properties || {};
            if (data.level !== "district") {  /* context only: outlines */
              return { color: "#5c6bc0", weight: 1.5, dashArray: "6 4", fill: false };
            }
            var a = byDistrict[(p.city || "") + "|" + p.district];
            return { color: "#555", weight: 1, fillColor: a ? colour(a) : NONE, fillOpacity: 0.35 };
          }
        }).addTo(map).bringToBack();
      });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
