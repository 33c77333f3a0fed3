// Draws every <canvas data-chart="ID"> from the Chart.js configuration the server put in
// <script type="application/json" id="ID"> (review/charts.py): the page's numbers stay the server's,
// and the same numbers are in the table beside each plot. Needs the vendored Chart.js (window.Chart).
//
// A canvas with data-threshold-form="FORM_ID" is a precision-coverage plot: choosing a point puts its
// threshold in that form's field for the point's label kind, ready to save.
(function () {
  "use strict";
  function points(config) {
    return config.data.datasets.reduce(function (n, set) { return n + set.data.filter(function (v) { return v !== null; }).length; }, 0);
  }
  function chooseThreshold(canvas, chart, elements) {
    if (!elements.length) return;
    var element = elements[0];
    var point = chart.data.datasets[element.datasetIndex].data[element.index];
    var form = document.getElementById(canvas.dataset.thresholdForm);
    var input = form && form.querySelector('input[name="' + point.kind + '"]');
    if (!input) return;
    input.value = point.threshold.toFixed(2);
    input.focus();
    var status = document.getElementById(canvas.id + "-chosen");
    if (status) status.textContent = point.tip + ". Save the rules to apply it.";
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    config.options.plugins = Object.assign({}, config.options.plugins, {
      tooltip: { callbacks: { label: function (context) {
        var raw = context.raw;
        if (raw && typeof raw === "object" && raw.tip) return raw.tip;
        return context.dataset.label + ": " + context.formattedValue;
      } } },
    });
    if (canvas.dataset.thresholdForm) {
      config.options.onClick = function (event, elements, chart) { chooseThreshold(canvas, chart, elements); };
    }
    new window.Chart(canvas, config);
    // What the browser tests read: how many marks this plot drew.
    canvas.dataset.points = String(points(config));
  });
})();
