// Before/after comparison: the range input (mouse, touch or keyboard)
// sets how much of the original photo covers the painting, from the left.
(function () {
  "use strict";
  document.querySelectorAll('[data-role="compare"]').forEach(function (compare) {
    var range = compare.querySelector('[data-role="compare-range"]');
    // Set here, not in a style attribute: the Content-Security-Policy allows no inline styles.
    var width = parseInt(compare.getAttribute("data-width"), 10), height = parseInt(compare.getAttribute("data-height"), 10);
    if (width > 0 && height > 0) compare.style.aspectRatio = width + " / " + height;
    var result = compare.querySelector('img[data-role="result"]');
    function fromResult() {
      var w = result.naturalWidth, h = result.naturalHeight;
      if (!w) return;
      compare.style.aspectRatio = w + " / " + h;
      // Never wider than the result's own pixels, nor taller than most of the window.
      compare.style.maxWidth = "min(100%, " + w + "px, calc(80vh * " + (w / h).toFixed(4) + "))";
    }
    result.addEventListener("load", fromResult);
    if (result.complete) fromResult();
    function update() { compare.style.setProperty("--position", range.value + "%"); }
    range.addEventListener("input", update);
    update();
  });
})();
