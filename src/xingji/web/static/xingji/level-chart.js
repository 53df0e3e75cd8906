// The level distribution of a campaign (proposed vs approved per level), drawn with the vendored
// ECharts from the data of <script type="application/json" id="level-chart-data">. The inline SVG
// stays as the fallback without JavaScript (or without ECharts) and is hidden once the chart renders.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("level-chart-data");
    var box = document.getElementById("level-chart");
    if (!data || !box || typeof window.echarts === "undefined") {
      return;
    }
    var levels = JSON.parse(data.textContent);
    box.hidden = false;
    var chart = window.echarts.init(box);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["评定（建议）星级", "批准星级"] },
      grid: { left: 8, right: 24, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: levels.map(function (row) { return row.name; }) },
      series: [
        { name: "评定（建议）星级", type: "bar", color: "#c0392b", label: { show: true, position: "right" },
          data: levels.map(function (row) { return row.proposed; }) },
        { name: "批准星级", type: "bar", color: "#e6a23c", label: { show: true, position: "right" },
          data: levels.map(function (row) { return row.approved; }) }
      ]
    });
    var fallback = document.getElementById("level-chart-fallback");
    if (fallback) {
      fallback.hidden = true;
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
