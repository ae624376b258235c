/* Draws the calculator's charts. Each chart is a <div data-figure="ID"> and its figure is the JSON in
 * <script type="application/json" id="ID"> (built in Python, calculator/charts.py). Drawn on load and
 * again whenever htmx swaps in new results; chart divs are kept across swaps (hx-preserve), so
 * Plotly.react updates them in place without a flash. */
(function () {
  "use strict";

  /* Plotly.relayout-style keys ("xaxis.ticktext") set on a copy of the layout. */
  function applyNarrow(layout, changes) {
    var copy = JSON.parse(JSON.stringify(layout));
    Object.keys(changes).forEach(function (path) {
      var keys = path.split(".");
      var node = copy;
      keys.slice(0, -1).forEach(function (key) {
        node[key] = node[key] || {};
        node = node[key];
      });
      node[keys[keys.length - 1]] = changes[path];
    });
    return copy;
  }

  function draw() {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll("[data-figure]").forEach(function (chart) {
      var source = document.getElementById(chart.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var text = source.textContent;
      if (chart.getAttribute("data-drawn") === String(text.length) && chart._figureText === text) {
        return;
      }
      var figure = JSON.parse(text);
      var layout = figure.layout;
      if (chart.clientWidth < 520 && figure.narrow) {
        layout = applyNarrow(layout, figure.narrow);
      }
      window.Plotly.react(chart, figure.data, layout, figure.config);
      chart._figureText = text;
      chart.setAttribute("data-drawn", String(text.length));
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var id = event.target && event.target.id;
    if (id === "estimate-result" || id === "calculator") {
      draw();
    }
  });

  draw();
})();
