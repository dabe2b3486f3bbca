/* 统计分析: draws each table's chart with ECharts (served from our own static files) from the JSON the page
   carries; the tables stay the source of the numbers. */
(function () {
  "use strict";
  var form = document.getElementById("gk-stats-batch");
  if (form) {
    form.querySelector("select").addEventListener("change", function () { form.submit(); });
  }
  var source = document.getElementById("gk-stats-data");
  if (!source || typeof echarts === "undefined") { return; }
  var tables = JSON.parse(source.textContent);
  var TOTAL = "合计";

  function dataRows(table) {
    var rows = table.rows.filter(function (row) { return row[0] !== TOTAL; });
    return table.chart.limit ? rows.slice(0, table.chart.limit) : rows;
  }

  function percent(value) { return value === null ? null : Math.round(value * 1000) / 10; }

  function option(table) {
    var chart = table.chart;
    var rows = dataRows(table);
    var names = rows.map(function (row) { return row[0]; });
    var legend = { top: 0, type: "scroll" };
    var grid = { left: 48, right: 16, top: 36, bottom: 8, containLabel: true };
    var longest = Math.max.apply(null, names.map(function (n) { return String(n).length; }).concat([0]));
    var crowded = names.length > 6 || longest * names.length > 36;
    var categoryAxis = { type: "category", data: names, axisLabel: { interval: 0, rotate: crowded ? 35 : 0 } };
    if (chart.type === "pie") {
      return {
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        legend: legend,
        series: [{
          type: "pie", radius: ["35%", "65%"], top: 30,
          data: rows.map(function (row) { return { name: row[0], value: row[chart.columns[0]] }; })
        }]
      };
    }
    if (chart.type === "rate") {
      var i = chart.columns[0];
      return {
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
        grid: grid,
        xAxis: categoryAxis,
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{
          type: "bar", name: table.headers[i], label: { show: true, position: "top", formatter: "{c}%" },
          data: rows.map(function (row) { return percent(row[i]); })
        }]
      };
    }
    var series = chart.columns.map(function (i) {
      return {
        type: chart.type === "line" ? "line" : "bar",
        name: table.headers[i],
        stack: chart.type === "stacked" ? "total" : undefined,
        emphasis: { focus: "series" },
        data: rows.map(function (row) { return row[i]; })
      };
    });
    return {
      tooltip: { trigger: "axis" },
      legend: legend,
      grid: grid,
      xAxis: categoryAxis,
      yAxis: { type: "value", minInterval: 1 },
      series: series
    };
  }

  var charts = [];
  tables.forEach(function (table) {
    var el = document.querySelector('.gk-chart[data-chart="' + table.key + '"]');
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(table));
    el.setAttribute("data-drawn", "1");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
