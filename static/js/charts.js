// Draws every <canvas data-chart="ID"> from the Chart.js configuration the server put in
// <script type="application/json" id="ID"> (review/charts.py): the page's numbers stay the server's,
// and the same numbers are in the table beside each plot. Needs the vendored Chart.js (window.Chart),
// loaded before this module.
//
// A canvas with data-threshold-form="FORM_ID" is a precision-coverage plot: choosing a point puts its
// threshold in that form's field for the point's label kind, ready to save.

const points = (config) =>
  config.data.datasets.reduce((n, set) => n + set.data.filter((value) => value !== null).length, 0);

function chooseThreshold(canvas, chart, elements) {
  if (!elements.length) return;
  const [element] = elements;
  const point = chart.data.datasets[element.datasetIndex].data[element.index];
  const form = document.getElementById(canvas.dataset.thresholdForm);
  const input = form?.querySelector(`input[name="${point.kind}"]`);
  if (!input) return;
  input.value = point.threshold.toFixed(2);
  input.focus();
  const status = document.getElementById(`${canvas.id}-chosen`);
  if (status) status.textContent = `${point.tip}. Save the rules to apply it.`;
}

function tooltipLabel(context) {
  const raw = context.raw;
  if (raw && typeof raw === "object" && raw.tip) return raw.tip;
  return `${context.dataset.label}: ${context.formattedValue}`;
}

for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
  const config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options };
  config.options.plugins = { ...config.options.plugins, tooltip: { callbacks: { label: tooltipLabel } } };
  if (canvas.dataset.thresholdForm) {
    config.options.onClick = (_event, elements, chart) => chooseThreshold(canvas, chart, elements);
  }
  new window.Chart(canvas, config);
  // What the browser tests read: how many marks this plot drew.
  canvas.dataset.points = String(points(config));
}
