/* Clue map layers (issue #17): grid heat map with an hour slider, mobile tracks coloured
   by value, camera alarm markers and gate markers, on the map of app.js. Data from
   /api/layers/*; labels from data-* attributes (zh/en); text is never inserted as HTML. */
(function () {
  "use strict";

  /* PM2.5 classes [µg/m³]: the 24-h IAQI breakpoints of HJ 633-2012 Table 1 (35, 75, 115,
     150, 250), used as a colour scale only */
  var BREAKS = [35, 75, 115, 150, 250];
  var COLOURS = ["#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023"];
  function colour(v) {
    if (v === null || v === undefined) { return "#9e9e9e"; }
    for (var i = 0; i < BREAKS.length; i++) { if (v <= BREAKS[i]) { return COLOURS[i]; } }
    return COLOURS[COLOURS.length - 1];
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function text(tag, t, cls) { var e = document.createElement(tag); e.textContent = t; if (cls) { e.className = cls; } return e; }
  function tip(lines) {
    var d = document.createElement("div");
    lines.forEach(function (l, i) { if (i) { d.appendChild(document.createElement("br")); } d.appendChild(document.createTextNode(l)); });
    return d;
  }
  function cstDay(iso) { return (iso || "").slice(0, 10); }
  function nextDay(day) {
    var d = new Date(day + "T00:00:00+08:00"); d = new Date(d.getTime() + 86400000);
    return new Date(d.getTime() + 8 * 3600000).toISOString().slice(0, 10);
  }

  function init(panel, map) {
    var ds = panel.dataset, groups = {}, hours = [];
    ["grid", "tracks", "alarms", "gates"].forEach(function (k) { groups[k] = L.layerGroup(); });
    var slider = panel.querySelector("#clue-hour"), hourLabel = panel.querySelector("#clue-hour-label");
    var dayInput = panel.querySelector("#clue-day"), status = panel.querySelector("#clue-status");
    function say(t) { status.textContent = t || ""; }

    function drawGrid(data) {
      groups.grid.clearLayers();
      (data.cells || []).forEach(function (c) {
        var half = (c.cell_km || 1) / 2, dlat = half / 111.32, dlon = dlat / Math.cos(c.lat * Math.PI / 180);
        L.rectangle([[c.lat - dlat, c.lon - dlon], [c.lat + dlat, c.lon + dlon]],
          { stroke: false, fillColor: colour(c.pm25), fillOpacity: 0.55 })
          .bindTooltip(tip([c.grid_id, "PM2.5 " + (c.pm25 === null ? "–" : c.pm25) + " µg/m³",
            "PM10 " + (c.pm10 === null ? "–" : c.pm10) + " µg/m³"]), { sticky: true })
          .addTo(groups.grid);
      });
      hourLabel.textContent = data.time ? data.time.slice(0, 16).replace("T", " ") : ds.noData;
      if (!(data.cells || []).length) { say(ds.noGrid); }
    }
    function loadGrid(time) {
      var url = ds.gridUrl + (time ? "?time=" + encodeURIComponent(time) : "");
      return getJSON(url).then(function (data) {
        if (!time) {
          hours = data.hours || [];
          slider.max = Math.max(0, hours.length - 1); slider.value = slider.max;
          slider.disabled = hours.length < 2;
          if (data.time && !dayInput.value) { dayInput.value = cstDay(data.time); }
        }
        drawGrid(data);
      }).catch(function () { say(ds.failed); });
    }
    function loadTracks() {
      groups.tracks.clearLayers();
      if (!dayInput.value) { return Promise.resolve(); }
      return getJSON(ds.tracksUrl + "?date=" + dayInput.value).then(function (data) {
        (data.tracks || []).forEach(function (t) {
          for (var i = 1; i < t.points.length; i++) {
            var a = t.points[i - 1], b = t.points[i];
            L.polyline([[a[1], a[0]], [b[1], b[0]]], { color: colour(b[2]), weight: 5, opacity: 0.9 })
              .bindTooltip(tip([t.vehicle_id + " · " + t.pollutant, (b[2] === null ? "–" : b[2]) + " µg/m³", b[3].slice(11, 19)]), { sticky: true })
              .addTo(groups.tracks);
          }
          if (t.points.length === 1) {
            var p = t.points[0];
            L.circleMarker([p[1], p[0]], { radius: 4, stroke: false, fillColor: colour(p[2]), fillOpacity: 0.9 }).addTo(groups.tracks);
          }
        });
      }).catch(function () { say(ds.failed); });
    }
    function windowQs() { return "?from=" + dayInput.value + "T00:00:00%2B08:00&to=" + nextDay(dayInput.value) + "T00:00:00%2B08:00"; }
    function loadAlarms() {
      groups.alarms.clearLayers();
      if (!dayInput.value) { return Promise.resolve(); }
      return getJSON(ds.alarmsUrl + windowQs()).then(function (data) {
        (data.alarms || []).forEach(function (a) {
          var icon = L.divIcon({ className: "clue-alarm", html: "", iconSize: [16, 16] });
          L.marker([a.lat, a.lon], { icon: icon })
            .bindTooltip(tip([a.kind + " · " + a.source + " · " + Math.round(a.confidence * 100) + "%",
              a.time.slice(0, 16).replace("T", " "), a.enterprise_name || ""]))
            .addTo(groups.alarms);
        });
      }).catch(function () { say(ds.failed); });
    }
    function loadGates() {
      groups.gates.clearLayers();
      if (!dayInput.value) { return Promise.resolve(); }
      return getJSON(ds.gatesUrl + windowQs()).then(function (data) {
        (data.gates || []).forEach(function (g) {
          var cls = g.violations > 0 ? " bad" : (g.below_china5_entries > 0 ? " warn" : "");
          var icon = L.divIcon({ className: "clue-gate" + cls, html: "", iconSize: [14, 14] });
          L.marker([g.lat, g.lon], { icon: icon })
            .bindTooltip(tip([g.enterprise_name + (g.gate_id ? " · " + g.gate_id : ""),
              ds.entriesLabel + " " + g.entries + " · " + ds.heavyLabel + " " + g.heavy_diesel_entries,
              ds.belowLabel + " " + g.below_china5_entries + " · " + ds.violationsLabel + " " + g.violations]))
            .addTo(groups.gates);
        });
      }).catch(function () { say(ds.failed); });
    }
    var loaders = { grid: function () { return loadGrid(hours[slider.value]); }, tracks: loadTracks, alarms: loadAlarms, gates: loadGates };

    panel.querySelectorAll("input[data-layer]").forEach(function (box) {
      box.addEventListener("change", function () {
        var k = box.dataset.layer;
        if (box.checked) { groups[k].addTo(map); loaders[k](); } else { map.removeLayer(groups[k]); }
      });
    });
    slider.addEventListener("input", function () { hourLabel.textContent = (hours[slider.value] || "").slice(0, 16).replace("T", " "); });
    slider.addEventListener("change", function () { say(""); loadGrid(hours[slider.value]); });
    dayInput.addEventListener("change", function () {
      say("");
      ["tracks", "alarms", "gates"].forEach(function (k) { if (map.hasLayer(groups[k])) { loaders[k](); } });
    });
    /* the grid starts on; it also gives the default day of the other layers */
    groups.grid.addTo(map);
    loadGrid(null).then(function () {
      ["tracks", "alarms", "gates"].forEach(function (k) {
        var box = panel.querySelector("input[data-layer='" + k + "']");
        if (box && box.checked) { groups[k].addTo(map); loaders[k](); }
      });
    });
  }

  function start() {
    var panel = document.getElementById("clue-layers"), el = document.getElementById("map");
    if (!panel || !el || !window.L) { return; }
    if (el.lantianMap) { init(panel, el.lantianMap); return; }
    el.addEventListener("lantian:map-ready", function (ev) { init(panel, ev.detail.map); }, { once: true });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
