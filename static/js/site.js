// Every page: small behaviours that work without it too (no inline scripts: CSP).
// - "Sign in" returns to the page as it is now (the calculator rewrites its address as the mix changes).
// - "Copy link" buttons copy the text of the element they name (the link stays visible without JS).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var signIn = event.target.closest("a[data-sign-in]");
    if (signIn) {
      var url = new URL(signIn.href, window.location.href);
      url.searchParams.set("next", window.location.pathname + window.location.search);
      signIn.href = url.pathname + url.search;
      return;
    }
    var copy = event.target.closest("button[data-copy]");
    if (!copy) return;
    var source = document.getElementById(copy.getAttribute("data-copy"));
    if (!source) return;
    var text = source.getAttribute("href") || source.textContent.trim();
    var done = function () {
      copy.textContent = "Copied";
      window.setTimeout(function () { copy.textContent = copy.getAttribute("data-label") || "Copy link"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      copy.textContent = "Press Ctrl+C to copy";
    }
  });

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Copy buttons exist only where JS runs: the page without JS shows the link itself.
  document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) { button.hidden = false; });
})();
