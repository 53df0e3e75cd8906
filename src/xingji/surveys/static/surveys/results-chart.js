// The per-question distribution of a closed survey, drawn with the vendored ECharts from
// <script type="application/json" id="survey-chart-data">. The table stays as the fallback.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("survey-chart-data");
    var box = document.getElementById("survey-chart");
    if (!data || !box || typeof window.echarts === "undefined") {
      return;
    }
    var chartData = JSON.parse(data.textContent);
    box.hidden = false;
    var chart = window.echarts.init(box);
    var colors = ["#c0392b", "#e6a23c", "#909399", "#606266", "#303133"];
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: chartData.options },
      grid: { left: 8, right: 24, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: chartData.rows.map(function (row) { return row.name; }) },
      series: chartData.options.map(function (label, index) {
        return { name: label, type: "bar", stack: "total", color: colors[index % colors.length],
                 data: chartData.rows.map(function (row) { return row.counts[index]; }) };
      })
    });
    var fallback = document.getElementById("survey-chart-fallback");
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
