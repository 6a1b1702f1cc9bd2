/* 处罚统计 page: bar charts of decisions (count) and fines (yuan) by outcome, district and
   industry, from the data the server rendered into #penalty-stats (no inline script: CSP). */
(function () {
  "use strict";
  function bars(id, title, rows, countLabel, amountLabel) {
    var node = document.getElementById(id);
    if (!node || !rows.length) { return; }
    var c = echarts.init(node);
    c.setOption({
      animation: false,
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 24, right: 0 },
      grid: { left: 40, right: 70, top: 60, bottom: 70 },
      xAxis: { type: "category", data: rows.map(function (r) { return r[0]; }), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value" }],
      series: [
        { name: countLabel, type: "bar", data: rows.map(function (r) { return r[1]; }), itemStyle: { color: "#1d4f91" } },
        { name: amountLabel, type: "bar", yAxisIndex: 1, data: rows.map(function (r) { return r[2]; }), itemStyle: { color: "#d4a21a" } }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }
  function init() {
    var el = document.getElementById("penalty-stats");
    if (!el || !window.echarts || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var d = JSON.parse(el.dataset.chart || "{}");
    var cl = el.dataset.countLabel, al = el.dataset.amountLabel;
    bars("chart-outcome", el.dataset.outcomeTitle, d.outcomes || [], cl, al);
    bars("chart-district", el.dataset.districtTitle, d.districts || [], cl, al);
    bars("chart-industry", el.dataset.industryTitle, d.industries || [], cl, al);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
