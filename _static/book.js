/* Readable by everyone: small fixes to what the theme's scripts do (see _ext/book_fixes.py).
 *
 * 1. sphinx-togglebutton labels every toggle button "Toggle hidden content", so a screen
 *    reader announces 24 identical buttons. Each button is named here after the box it opens
 *    ("Show or hide: Solution to Exercise 3.1"); aria-expanded, which the extension keeps up
 *    to date, says whether it is open.
 * 2. The pydata theme makes a code block or an output that scrolls sideways reachable with
 *    the keyboard (tabindex 0) when the page loads or is resized, but not when a toggle opens
 *    one that was hidden: a keyboard user could not scroll a solution's long line. The same
 *    check runs again whenever a toggle or a <details> opens.
 */
(function () {
  var SCROLLABLE = [
    "pre",
    ".cell_output > .output",
    ".pst-scrollable-table-container",
  ].join(", ");

  function updateTabStops() {
    document.querySelectorAll(SCROLLABLE).forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
      el.tabIndex = scrolls ? 0 : -1;
    });
  }

  function labelToggles() {
    document.querySelectorAll("button.toggle-button").forEach(function (button) {
      var box = document.getElementById(button.dataset.target);
      var title = box && box.querySelector(".admonition-title");
      if (!title) return;
      var text = "";
      title.childNodes.forEach(function (node) {
        if (node !== button) text += node.textContent;
      });
      text = text.replace(/\s+/g, " ").trim();
      if (text) button.setAttribute("aria-label", "Show or hide: " + text);
    });
  }

  function start() {
    // the toggle buttons are added on DOMContentLoaded by a script loaded before this one
    setTimeout(labelToggles, 0);
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest(".toggle-button, .admonition-title")) {
        setTimeout(updateTabStops, 0);
      }
    });
    // "toggle" does not bubble: listen while it is captured on its way down
    document.addEventListener("toggle", function () { setTimeout(updateTabStops, 0); }, true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
