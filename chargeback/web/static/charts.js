/*
 * Charts of the Portfolio and unit pages (Chart.js 4, vendor/chart.umd.js).
 *
 * Each <canvas data-chart="..." data-source="ID"> reads its figures from the
 * <script type="application/json" id="ID"> block the page renders: no inline script, so
 * the Content-Security-Policy (script-src 'self') holds. Figures arrive as decimal text
 * and are only turned into numbers here, for drawing.
 *
 *   attainment  each unit's attainment against its own scorecard, colored by its own band,
 *               in tree order (never sorted: this is not a ranking)
 *   trend       one unit's attainment over the last closed periods, with band thresholds
 *   spend       a unit's spend by cost pool (stacked) against its budget
 */
(function () {
  "use strict";

  var BAND_COLORS = {
    exceeds: "#198754", meets: "#0d6efd", watch: "#ffc107", below: "#dc3545",
    unrated: "#6c757d"
  };
  var POOL_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
                     "#ff9da7", "#9c755f", "#bab0ac", "#e15759"];
  var THRESHOLD_BANDS = ["watch", "meets", "exceeds"];

  function readJson(id) {
    var element = id ? document.getElementById(id) : null;
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  function toNumber(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function bandColor(band) {
    return BAND_COLORS[band] || BAND_COLORS.unrated;
  }

  /* Dashed lines at the band thresholds, across the chart, on the attainment axis. */
  function thresholdLines(axis, limits) {
    return {
      id: "bandThresholds",
      afterDatasetsDraw: function (chart) {
        var scale = chart.scales[axis];
        var area = chart.chartArea;
        var ctx = chart.ctx;
        if (!scale || !limits) { return; }
        ctx.save();
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1;
        THRESHOLD_BANDS.forEach(function (band) {
          if (limits[band] === undefined) { return; }
          var at = scale.getPixelForValue(Number(limits[band]));
          ctx.strokeStyle = bandColor(band);
          ctx.beginPath();
          if (axis === "x") {
            ctx.moveTo(at, area.top);
            ctx.lineTo(at, area.bottom);
          } else {
            ctx.moveTo(area.left, at);
            ctx.lineTo(area.right, at);
          }
          ctx.stroke();
        });
        ctx.restore();
      }
    };
  }

  function attainmentChart(canvas, data) {
    var units = data.units || [];
    var box = canvas.parentElement;
    if (box && units.length > 8) {
      box.style.height = (units.length * 26 + 60) + "px";
    }
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: units.map(function (u) { return u.code; }),
        datasets: [{
          label: "Attainment against its own scorecard",
          data: units.map(function (u) { return toNumber(u.value); }),
          backgroundColor: units.map(function (u) { return bandColor(u.band); }),
          maxBarThickness: 28
        }]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { min: 0, max: 100, title: { display: true, text: "Attainment (0-100)" } } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var unit = units[item.dataIndex];
                return unit.name + ": " + unit.value + " (" + unit.band + ")";
              }
            }
          }
        }
      },
      plugins: [thresholdLines("x", data.thresholds)]
    });
  }

  function trendChart(canvas, data) {
    var code = canvas.getAttribute("data-unit");
    var unit = (data.units || []).filter(function (u) { return u.code === code; })[0];
    if (!unit) { return null; }
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.periods,
        datasets: [{
          label: unit.code,
          data: unit.values.map(toNumber),
          borderColor: "#495057",
          borderWidth: 1.5,
          pointRadius: 3,
          pointBackgroundColor: unit.bands.map(bandColor),
          pointBorderColor: unit.bands.map(bandColor),
          spanGaps: false
        }]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { min: 0, max: 100, ticks: { stepSize: 50 } },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 4 } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var band = unit.bands[item.dataIndex];
                return unit.values[item.dataIndex] + " (" + band + ")";
              }
            }
          }
        }
      },
      plugins: [thresholdLines("y", data.thresholds)]
    });
  }

  function spendChart(canvas, data) {
    var datasets = (data.pools || []).map(function (pool, index) {
      return {
        type: "bar",
        label: pool.code,
        data: pool.values.map(toNumber),
        backgroundColor: POOL_COLORS[index % POOL_COLORS.length],
        stack: "spend"
      };
    });
    datasets.push({
      type: "bar", label: "internal charges received", data: data.internal.map(toNumber),
      backgroundColor: "#adb5bd", stack: "spend"
    });
    datasets.push({
      type: "line", label: "budget", data: data.budget.map(toNumber), borderColor: "#212529",
      backgroundColor: "#212529", borderDash: [6, 3], pointRadius: 3, spanGaps: false,
      stack: "budget"
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.periods, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  var DRAW = { attainment: attainmentChart, trend: trendChart, spend: spendChart };

  function drawAll() {
    if (!window.Chart) { return; }
    var cache = {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var draw = DRAW[canvas.getAttribute("data-chart")];
      var source = canvas.getAttribute("data-source");
      if (!(source in cache)) { cache[source] = readJson(source); }
      if (draw && cache[source]) { draw(canvas, cache[source]); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
