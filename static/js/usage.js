/* The usage dashboard's only script of its own: choosing a month in the list opens it (the form works
 * without JavaScript through its Go button). Charts are drawn by charts.js, the what-if panel by htmx. */
(function () {
  "use strict";
  document.querySelectorAll("select.js-submit-on-change").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
