/* The lead page's series chart (ECharts, SVG renderer): the lead's episode shaded, reference
   lines labelled with what they are (legal limit + standard, on/off level, allowed power,
   rule ratio), a second axis for a ratio, a legend, and times in China Standard Time
   whatever the browser's time zone ("12-01 08:00"). Data: GET data-series-url, see
   lantian.web.api.series.lead_series. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  var CST_MS = 8 * 3600 * 1000;
  var REF_STYLE = {
    legal_limit: { color: "#c62828", type: "dashed" },
    on_off_level: { color: "#6a1b9a", type: "dashed" },
    allowed_power: { color: "#e65100", type: "dashed" },
    normal_level: { color: "#2e7d32", type: "dotted" },
    rule_ratio: { color: "#616161", type: "dotted" }
  };
  var KIND_STYLE = {
    median: { color: "#607d8b", type: "dashed", width: 1.6 },
    ratio: { color: "#ef6c00", type: "dotted", width: 1.4 },
    production_total: { color: "#1d4f91", type: "solid", width: 2.2 }
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Times are shifted by +8 h and the chart runs with useUTC: its "UTC" is China Standard
     Time, so ticks fall on CST hours and days whatever the browser's time zone. */
  function shifted(iso) { return Date.parse(iso) + CST_MS; }

  /* "MM-DD HH:mm" (or "YYYY-MM-DD HH:mm") of a shifted time value */
  function cstLabel(ms, withYear) {
    var d = new Date(ms);
    var s = pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return withYear ? d.getUTCFullYear() + "-" + s : s;
  }

  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  }

  /* a round number ≥ x (1, 1.5, 2, 2.5 … × a power of ten) */
  function niceCeil(x) {
    if (!(x > 0)) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log10(x)));
    return Math.ceil(x / p * 2) / 2 * p;
  }

  function axisName(a) { return a ? a.name + (a.unit ? " (" + a.unit + ")" : "") : ""; }

  function build(el, data) {
    var narrow = el.clientWidth < 520;
    var axes = data.axes && data.axes.length ? data.axes : [{ name: "", unit: "" }];
    var refs = data.references || [];
    var times = [];
    data.series.forEach(function (s) {
      s.points.forEach(function (p) { times.push(shifted(p[0])); });
    });
    var tmin = Math.min.apply(null, times), tmax = Math.max.apply(null, times);
    var series = data.series.map(function (s, i) {
      var st = KIND_STYLE[s.kind] || {};
      var def = {
        name: s.name, type: "line", showSymbol: false, sampling: "lttb",
        yAxisIndex: s.axis === 1 && axes.length > 1 ? 1 : 0,
        data: s.points.map(function (p) { return [shifted(p[0]), p[1]]; }),
        connectNulls: false, unit: s.unit,
        lineStyle: { width: st.width || 1.6, type: st.type || "solid" }
      };
      if (st.color) { def.itemStyle = { color: st.color }; def.lineStyle.color = st.color; }
      if (i === 0) {
        def.markArea = {
          silent: true, itemStyle: { color: "rgba(198,40,40,0.10)" },
          label: { show: true, color: "#c62828", position: "insideTop" },
          data: [[{ name: el.dataset.episodeLabel, xAxis: shifted(data.episode.start) },
                  { xAxis: shifted(data.episode.end) }]]
        };
      }
      return def;
    });
    /* each reference is a legend entry of its own: a flat line across the window */
    refs.forEach(function (r) {
      var st = REF_STYLE[r.kind] || { color: "#424242", type: "dashed" };
      series.push({
        name: r.label, type: "line", showSymbol: false, silent: true, refKind: r.kind,
        yAxisIndex: r.axis === 1 && axes.length > 1 ? 1 : 0, unit: r.unit,
        data: [[tmin, r.value], [tmax, r.value]],
        itemStyle: { color: st.color },
        lineStyle: { color: st.color, type: st.type, width: 1.4 },
        endLabel: narrow ? { show: false } : {
          show: true, color: st.color, formatter: function () { return fmt(r.value); }
        }
      });
    });
    /* each axis spans its data and its reference lines: from 0 (or below) to a round top */
    function bounds(idx) {
      var vals = refs.filter(function (r) { return (r.axis === 1 ? 1 : 0) === idx; })
        .map(function (r) { return r.value; });
      return {
        min: function (v) {
          var lo = Math.min(v.min, vals.length ? Math.min.apply(null, vals) : v.min);
          return lo >= 0 ? 0 : -niceCeil(-lo * 1.05);
        },
        max: function (v) {
          var hi = Math.max(v.max, vals.length ? Math.max.apply(null, vals) : v.max);
          return hi <= 0 ? 0 : niceCeil(hi * 1.05);
        }
      };
    }
    /* the legend wraps: room for its rows above the plot */
    var names = series.map(function (s) { return s.name; });
    var legendPx = names.reduce(function (acc, n) {
      var wide = (n.match(/[^\x00-\xff]/g) || []).length;
      return acc + wide * 12 + (n.length - wide) * 7 + 40;
    }, 0);
    var legendRows = Math.max(1, Math.ceil(legendPx / Math.max(200, el.clientWidth - 24)));
    var yAxis = axes.slice(0, 2).map(function (a, idx) {
      var b = bounds(idx);
      return {
        type: "value", scale: true, name: axisName(a), nameLocation: "end",
        nameTextStyle: { align: idx === 0 ? "left" : "right", fontSize: narrow ? 11 : 12 },
        min: b.min, max: b.max, splitLine: { show: idx === 0 },
        axisLabel: { fontSize: narrow ? 10 : 12 }
      };
    });
    return { rows: legendRows, option: {
      animation: false, useUTC: true,
      legend: { top: 0, type: "plain", itemGap: 8, textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: 8, right: narrow ? 8 : 48, top: legendRows * 22 + 30, bottom: 52, containLabel: true },
      tooltip: {
        trigger: "axis", confine: true,
        formatter: function (items) {
          if (!items.length) { return ""; }
          var lines = [cstLabel(items[0].axisValue, true)];
          items.forEach(function (it) {
            var s = series[it.seriesIndex];
            if (s.refKind) { return; }
            lines.push(it.marker + it.seriesName + ": " + fmt(it.value[1]) + " " + (s.unit || ""));
          });
          return lines.join("<br>");
        }
      },
      xAxis: {
        type: "time", min: tmin, max: tmax,
        axisLabel: {
          hideOverlap: true, fontSize: narrow ? 10 : 12,
          formatter: function (v) { return cstLabel(v, false); }
        }
      },
      yAxis: yAxis,
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8, labelFormatter: function (v) { return cstLabel(v, false); } }],
      series: series
    } };
  }

  function initLeadChart(el) {
    if (!window.echarts || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var chart = echarts.init(el, null, { renderer: "svg" });
    fetch(el.dataset.seriesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (!data.series.length || data.series.every(function (s) { return !s.points.length; })) {
          chart.dispose();
          el.classList.add("empty");
          el.style.height = "auto";
          el.textContent = el.dataset.emptyLabel;
          return;
        }
        var built = build(el, data);
        if (built.rows > 1) {  /* a wrapped legend must not squeeze the plot (phones) */
          el.style.height = (el.clientHeight + (built.rows - 1) * 22) + "px";
          chart.resize();
        }
        chart.setOption(built.option);
        el.dataset.rendered = "1";
      })
      .catch(function () { chart.dispose(); el.textContent = el.dataset.emptyLabel; });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init(root) {
    var c = root && root.querySelector ? root.querySelector("#lead-chart") : null;
    if (c) { initLeadChart(c); }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });
})();
