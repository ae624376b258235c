/* The calculator form's behaviour without a reload: add and remove lines, copy the link, print.
 * htmx does the requests (see the form's hx-* attributes); this file only edits the form and keeps
 * accessibility attributes in step with the error messages updated beside the inputs. */
(function () {
  "use strict";

  var PREFIX = "lines";
  var INDEX = new RegExp(PREFIX + "-(\\d+|__prefix__)-", "g");
  var ATTRIBUTES = ["id", "name", "for", "aria-describedby", "aria-controls"];

  document.documentElement.classList.add("js");

  function estimateForm() {
    return document.getElementById("estimate-form");
  }

  function totalInput() {
    return document.getElementById("id_" + PREFIX + "-TOTAL_FORMS");
  }

  function lines() {
    return Array.prototype.slice.call(document.querySelectorAll("#lines [data-line]"));
  }

  /* Give every line the index of its position: names, ids and labels follow. */
  function renumber() {
    lines().forEach(function (line, index) {
      var nodes = [line].concat(Array.prototype.slice.call(line.querySelectorAll("*")));
      nodes.forEach(function (node) {
        ATTRIBUTES.forEach(function (name) {
          var value = node.getAttribute(name);
          if (value && value.indexOf(PREFIX + "-") !== -1) {
            node.setAttribute(name, value.replace(INDEX, PREFIX + "-" + index + "-"));
          }
        });
      });
      var remove = line.querySelector("[data-remove-line]");
      if (remove) {
        remove.value = String(index);
        remove.setAttribute("aria-label", "Remove line " + (index + 1));
      }
      var number = line.querySelector("[data-line-number]");
      if (number) {
        number.textContent = String(index + 1);
      }
    });
    totalInput().value = String(lines().length);
  }

  function addLine() {
    var template = document.getElementById("line-template");
    var index = lines().length;
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var line = holder.firstElementChild;
    document.getElementById("lines").appendChild(line);
    renumber();
    var country = line.querySelector("input[list]");
    if (country) {
      country.focus();
    }
  }

  function removeLine(button) {
    var line = button.closest("[data-line]");
    var all = lines();
    var position = all.indexOf(line);
    line.remove();
    if (lines().length === 0) {
      addLine();
    } else {
      renumber();
      var next = lines()[Math.min(position, lines().length - 1)];
      var focusable = next && next.querySelector("input[list]");
      (focusable || document.querySelector("[data-add-line]")).focus();
    }
    if (window.htmx) {
      window.htmx.trigger(estimateForm(), "recalc");
    }
  }

  function copyLink(link) {
    var status = document.querySelector("[data-copy-status]");
    if (!navigator.clipboard) {
      return false;
    }
    navigator.clipboard.writeText(link.href).then(function () {
      if (status) {
        status.textContent = "Link copied";
      }
    }, function () {
      if (status) {
        status.textContent = "Copy the address bar to share";
      }
    });
    return true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-add-line], [data-remove-line], [data-copy-link], [data-print]");
    if (!target) {
      return;
    }
    if (target.hasAttribute("data-add-line")) {
      event.preventDefault();
      addLine();
    } else if (target.hasAttribute("data-remove-line")) {
      event.preventDefault();
      removeLine(target);
    } else if (target.hasAttribute("data-copy-link")) {
      if (copyLink(target)) {
        event.preventDefault();
      }
    } else if (target.hasAttribute("data-print")) {
      window.print();
    }
  });

  /* Error messages beside the inputs are updated in place; the inputs themselves are never swapped,
   * so mark them invalid (or not) here, and open a line's assumptions when one of them is wrong. */
  function syncErrors() {
    document.querySelectorAll(".field-error[id$='_error']").forEach(function (slot) {
      var input = document.getElementById(slot.id.slice(0, -"_error".length));
      if (!input) {
        return;
      }
      if (slot.textContent.trim()) {
        input.setAttribute("aria-invalid", "true");
        var details = input.closest("details");
        if (details) {
          details.open = true;
        }
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
  }

  /* An update sends only the error messages there are: empty the slots first (same task, no flash). */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "estimate-result" && event.detail.shouldSwap) {
      document.querySelectorAll("#estimate-form .field-error").forEach(function (slot) {
        slot.textContent = "";
      });
    }
  });

  function showJsOnly() {
    document.querySelectorAll(".js-only[hidden]").forEach(function (node) {
      node.hidden = false;
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var id = event.target && event.target.id;
    if (id === "estimate-result" || id === "calculator") {
      syncErrors();
      showJsOnly();
      var report = document.getElementById("paste-report");
      if (id === "calculator" && report) {
        report.focus();
      }
    }
  });

  /* On narrow screens a bar at the bottom shows the total while the results are out of sight. */
  var resultsVisible = false;
  function placeTotalBar() {
    var bar = document.getElementById("mobile-total");
    if (bar) {
      bar.classList.toggle("out-of-view", resultsVisible);
    }
  }
  function watchResults() {
    var results = document.querySelector(".results-column");
    if (!results || !window.IntersectionObserver) {
      return;
    }
    new IntersectionObserver(function (entries) {
      resultsVisible = entries[0].isIntersecting;
      placeTotalBar();
    }, { threshold: 0 }).observe(results);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "calculator") {
      watchResults();
    }
    placeTotalBar();
  });

  /* A table wider than its box says so above it (the shadows of calculator.css show the side with
   more); the hint names the columns out of sight and goes once the user reaches the end. */
  function markScrollingTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var hint = wrap.previousElementSibling;
      if (!hint || !hint.classList.contains("scroll-hint")) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        wrap.parentNode.insertBefore(hint, wrap);
      }
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      var atEnd = wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1;
      wrap.classList.toggle("scrolls", scrolls);
      hint.classList.toggle("shown", scrolls && !atEnd);
      if (scrolls) {
        var hidden = Array.prototype.filter.call(wrap.querySelectorAll("thead th"), function (th) {
          var box = th.getBoundingClientRect(), frame = wrap.getBoundingClientRect();
          return box.right > frame.right + 1;
        }).map(function (th) { return th.textContent.trim(); });
        hint.textContent = "Scroll sideways for more columns →" + (hidden.length ? " (" + hidden.join(", ") + ")" : "");
      }
      if (!wrap.hasAttribute("data-scroll-watched")) {
        wrap.setAttribute("data-scroll-watched", "");
        wrap.addEventListener("scroll", markScrollingTables, { passive: true });
      }
    });
  }
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);

  markScrollingTables();
  watchResults();
  showJsOnly();
})();
