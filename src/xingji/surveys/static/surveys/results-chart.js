// The per-question distribution of a closed survey, drawn with the vendored ECharts from
// <script type="application/json" id="survey-chart-data">. The table stays as the fallback.
//
// Every question's label is shown (no label skipped), wrapped onto lines within a width that
// leaves room for the bars, and each question gets a band tall enough for its wrapped lines,
// so that no two labels overlap on a desktop or a phone. Drawn as SVG: crisp text that a
// browser test can measure.
(function () {
  "use strict";
  var LINE_HEIGHT = 18;
  var FONT_SIZE = 12;
  var LEGEND_HEIGHT = 36;
  var AXIS_HEIGHT = 36;
  var PADDING = 8;

  // The longest line a label may take: 40 % of the chart, 96 to 220 pixels.
  function labelWidth(box) {
    return Math.max(96, Math.min(220, Math.floor(box.clientWidth * 0.4)));
  }

  // How many lines a label wraps onto at that width (a CJK character is about one font size wide).
  function lineCount(text, width) {
    var units = 0;
    for (var i = 0; i < text.length; i += 1) {
      units += text.charCodeAt(i) > 0x2e7f ? 1 : 0.6;
    }
    return Math.max(1, Math.ceil((units * FONT_SIZE) / width));
  }

  // Size the box for its labels: their width, and a band per question tall enough for its lines.
  function fit(box, names) {
    var width = labelWidth(box);
    var lines = names.reduce(function (most, name) { return Math.max(most, lineCount(name, width)); }, 1);
    var band = (lines + 1) * LINE_HEIGHT;
    box.style.height = (LEGEND_HEIGHT + AXIS_HEIGHT + PADDING * 2 + names.length * band) + "px";
    return width;
  }

  function draw() {
    var data = document.getElementById("survey-chart-data");
    var box = document.getElementById("survey-chart");
    if (!data || !box || typeof window.echarts === "undefined") {
      return;
    }
    var chartData = JSON.parse(data.textContent);
    var names = chartData.rows.map(function (row) { return row.name; });
    box.hidden = false;
    var width = fit(box, names);
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    var colors = ["#c0392b", "#e6a23c", "#909399", "#606266", "#303133"];
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { type: "scroll", top: 0, data: chartData.options },
      grid: { left: PADDING, right: 24, top: LEGEND_HEIGHT, bottom: PADDING, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        inverse: true,
        data: names,
        axisLabel: { interval: 0, width: width, overflow: "break", lineHeight: LINE_HEIGHT, fontSize: FONT_SIZE }
      },
      series: chartData.options.map(function (label, index) {
        return { name: label, type: "bar", stack: "total", color: colors[index % colors.length],
                 data: chartData.rows.map(function (row) { return row.counts[index]; }) };
      })
    });
    var fallback = document.getElementById("survey-chart-fallback");
    if (fallback) {
      fallback.hidden = true;
    }
    window.addEventListener("resize", function () {
      var resized = fit(box, names);
      chart.resize();
      chart.setOption({ yAxis: { axisLabel: { width: resized } } });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
