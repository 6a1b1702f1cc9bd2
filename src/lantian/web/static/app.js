/* Lantian web UI behaviour. No inline scripts (CSP script-src 'self'); pages pass data
   through data-* attributes. Libraries: htmx, ECharts, Leaflet (served from /vendor). */
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  /* the lead series chart is in lead-chart.js (loaded by the lead page) */

  /* ---------- map ---------- */
  function initMap(el) {
    if (!window.L || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var map = L.map(el, { preferCanvas: true, attributionControl: !!el.dataset.tileUrl });
    /* other scripts (clue-layers.js) add their layers to this map */
    el.lantianMap = map;
    el.dispatchEvent(new CustomEvent("lantian:map-ready", { detail: { map: map } }));
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { maxZoom: 18 }).addTo(map);
    } else {
      el.style.background = "#eef3f8";  /* offline basemap: plain background + graticule */
    }
    if (el.dataset.districtsUrl) {  /* district boundaries under the markers */
      getJSON(el.dataset.districtsUrl).then(function (fc) {
        if (!fc || !fc.features || !fc.features.length) { return; }
        L.geoJSON(fc, {
          interactive: true,
          style: function () { return { color: "#5c6bc0", weight: 2, dashArray: "6 4", fillColor: "#5c6bc0", fillOpacity: 0.06 }; },
          onEachFeature: function (f, lyr) {
            var tip = document.createElement("span"), p = f.properties || {};
            tip.textContent = (p.city || "") + " " + (p.district || "") + (p.synthetic ? " · " + el.dataset.syntheticLabel : "");
            lyr.bindTooltip(tip, { sticky: true });
          }
        }).addTo(map).bringToBack();
      }).catch(function () { /* no boundaries: markers only */ });
    }
    getJSON(el.dataset.featuresUrl).then(function (fc) {
      var bounds = [];
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          var p = f.properties, hot = p.leads > 0;
          bounds.push(latlng);
          if (p.kind === "station") {
            return L.circleMarker(latlng, { radius: 6, color: "#fff", weight: 1.5, fillColor: hot ? "#e67e22" : "#2e7d32", fillOpacity: 0.95 });
          }
          return L.circleMarker(latlng, { radius: hot ? 6 + Math.min(10, p.leads) : 5, color: "#fff", weight: 1.5,
            fillColor: hot ? "#c62828" : "#1d4f91", fillOpacity: 0.85 });
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties, div = document.createElement("div");
          var b = document.createElement("strong"); b.textContent = p.name; div.appendChild(b);
          div.appendChild(document.createElement("br"));
          div.appendChild(document.createTextNode(p.leads + " " + el.dataset.leadsLabel + " "));
          if (p.kind === "enterprise") {
            var a = document.createElement("a"); a.href = p.url; a.textContent = el.dataset.openLabel; div.appendChild(a);
          }
          lyr.bindPopup(div);
          var tip = document.createElement("span"); tip.textContent = p.name;  /* text, never HTML */
          lyr.bindTooltip(tip);
        }
      }).addTo(map);
      if (bounds.length) {
        map.fitBounds(L.latLngBounds(bounds).pad(0.15));
      } else {
        map.setView([34.3, 108.9], 5);
        var note = document.createElement("p"); note.className = "muted"; note.textContent = el.dataset.emptyLabel;
        el.parentNode.insertBefore(note, el.nextSibling);
      }
      if (!el.dataset.tileUrl) { drawGraticule(map); }
      return layer;
    });
  }

  function drawGraticule(map) {
    var b = map.getBounds().pad(1), step = 0.05;
    var span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
    if (span > 2) { step = 0.5; } else if (span > 0.6) { step = 0.1; }
    var style = { color: "#c9d6e3", weight: 1, interactive: false };
    for (var x = Math.floor(b.getWest() / step) * step; x <= b.getEast(); x += step) {
      L.polyline([[b.getSouth(), x], [b.getNorth(), x]], style).addTo(map);
    }
    for (var y = Math.floor(b.getSouth() / step) * step; y <= b.getNorth(); y += step) {
      L.polyline([[y, b.getWest()], [y, b.getEast()]], style).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
  }

  /* ---------- dashboard ---------- */
  var STATUS_COLORS = {
    "new": "#9aa9bb", dispatched: "#1d4f91", checking: "#4b3fb0", false_positive: "#c4c4c4",
    confirmed: "#c62828", immediate_fix: "#e67e22", supervision_order: "#7b1fa2",
    rectification: "#d4a21a", review: "#00897b", closed: "#2e7d32"
  };
  function initDashboard(el) {
    if (!window.echarts || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var labels = JSON.parse(el.dataset.labels || "{}");
    function lab(code) { return labels[code] || code; }
    function bar(id, title, names, values, horizontal) {
      var node = document.getElementById(id); if (!node) { return; }
      var c = echarts.init(node);
      var cat = { type: "category", data: names, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
      var val = { type: "value", minInterval: 1 };
      c.setOption({ animation: false, title: { text: title, textStyle: { fontSize: 14 } },
        tooltip: {}, grid: { left: horizontal ? 110 : 45, right: 20, top: 40, bottom: horizontal ? 30 : 80 },
        xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val,
        series: [{ type: "bar", data: values, itemStyle: { color: "#1d4f91" } }] });
      window.addEventListener("resize", function () { c.resize(); });
    }
    getJSON(el.dataset.url).then(function (s) {
      var fam = Object.keys(s.leads_by_family);
      bar("chart-family", el.dataset.familyTitle, fam.map(lab), fam.map(function (k) { return s.leads_by_family[k]; }));
      var st = Object.keys(s.leads_by_status);
      var pie = document.getElementById("chart-status");
      if (pie) {
        var pc = echarts.init(pie);
        pc.setOption({ animation: false, title: { text: el.dataset.statusTitle, textStyle: { fontSize: 14 } }, tooltip: {},
          series: [{ type: "pie", radius: ["35%", "65%"], top: 20,
            data: st.map(function (k) {
              return { name: lab(k), value: s.leads_by_status[k], itemStyle: { color: STATUS_COLORS[k] || "#8a9bb0" } };
            }) }] });
      }
      var reg = Object.keys(s.leads_by_district).map(function (k) { return [k || "-", s.leads_by_district[k]]; })
        .sort(function (a, b) { return a[1] - b[1]; }).slice(-15);
      bar("chart-region", el.dataset.regionTitle, reg.map(function (r) { return r[0]; }), reg.map(function (r) { return r[1]; }), true);
      var tn = document.getElementById("chart-trend");
      if (tn) {
        var tc = echarts.init(tn);
        var weeks = {};
        s.weekly_leads.forEach(function (t) { weeks[t.week] = [t.leads, 0]; });
        s.weekly_closed.forEach(function (t) { (weeks[t.week] = weeks[t.week] || [0, 0])[1] = t.cases; });
        var wk = Object.keys(weeks).sort();
        tc.setOption({ animation: false, title: { text: el.dataset.trendTitle, textStyle: { fontSize: 14 } }, tooltip: { trigger: "axis" },
          legend: { top: 0, right: 0 },
          grid: { left: 45, right: 20, top: 40, bottom: 30 }, xAxis: { type: "category", data: wk },
          yAxis: { type: "value", minInterval: 1 },
          series: [{ name: el.dataset.newLabel, type: "bar", data: wk.map(function (w) { return weeks[w][0]; }), itemStyle: { color: "#1d4f91" } },
                   { name: el.dataset.closedLabel, type: "bar", data: wk.map(function (w) { return weeks[w][1]; }), itemStyle: { color: "#2e7d32" } }] });
      }
    });
  }

  /* ---------- forms ---------- */
  function initSelectAll(root) {
    root.querySelectorAll("input.select-all").forEach(function (box) {
      if (box.dataset.ready) { return; }
      box.dataset.ready = "1";
      box.addEventListener("change", function () {
        var form = box.closest("form");
        form.querySelectorAll("input[name=lead_ids]").forEach(function (c) { c.checked = box.checked; });
      });
    });
  }

  function initGps(root) {
    root.querySelectorAll("button.gps-button").forEach(function (btn) {
      if (btn.dataset.ready) { return; }
      btn.dataset.ready = "1";
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        var form = btn.closest("form"), out = form.querySelector(".gps-status");
        if (!navigator.geolocation) { out.textContent = btn.dataset.unavailable; return; }
        out.textContent = btn.dataset.waiting;
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(6);
          form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
          form.querySelector("[name=gps_accuracy_m]").value = Math.round(pos.coords.accuracy);
          out.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5) + " (±" + Math.round(pos.coords.accuracy) + " m)";
        }, function (err) { out.textContent = btn.dataset.failed + " " + err.message; },
        { enableHighAccuracy: true, timeout: 15000 });
      });
    });
  }

  function init(root) {
    root = root || document;
    var m = document.getElementById("map"); if (m) { initMap(m); }
    var d = document.getElementById("dashboard-data"); if (d) { initDashboard(d); }
    initSelectAll(root);
    initGps(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    /* on a phone the filters start folded, so the list is visible at once */
    if (window.matchMedia("(max-width: 820px)").matches) {
      document.querySelectorAll("details.filterbox").forEach(function (d) { d.open = false; });
    }
    init(document);
  });
  document.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });
  /* ---------- grouped menus: one open at a time, closed by a click elsewhere ---------- */
  document.addEventListener("click", function (ev) {
    var inside = ev.target.closest ? ev.target.closest(".navgroup") : null;
    document.querySelectorAll(".navgroup[open]").forEach(function (g) {
      if (g !== inside) { g.removeAttribute("open"); }
    });
  });
})();
