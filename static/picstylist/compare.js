// Before/after comparison: the range input (mouse, touch or keyboard)
// sets how much of the original photo covers the painting, from the left.
// The comparison box, and the placeholder shown while the photo is being
// painted, take the result's expected size, so nothing jumps when it arrives.
(function () {
  "use strict";

  // Sizes are set here, not in style attributes: the Content-Security-Policy allows no inline styles.
  function sizeBox(box, width, height) {
    if (!box || !(width > 0 && height > 0)) return;
    box.style.aspectRatio = width + " / " + height;
    // Never wider than the result's own pixels, nor taller than most of the window.
    box.style.maxWidth = "min(100%, " + width + "px, calc(80vh * " + (width / height).toFixed(4) + "))";
  }

  document.querySelectorAll('[data-role="compare"]').forEach(function (compare) {
    var range = compare.querySelector('[data-role="compare-range"]');
    var waiting = compare.parentElement.querySelector('[data-role="waiting"]');
    var width = parseInt(compare.getAttribute("data-width"), 10);
    var height = parseInt(compare.getAttribute("data-height"), 10);
    var maxSide = parseInt(compare.getAttribute("data-max-side"), 10);
    if (width > 0 && height > 0 && maxSide > 0) {
      var scale = Math.min(1, maxSide / Math.max(width, height)); // the worker never upscales
      width = Math.max(1, Math.round(width * scale));
      height = Math.max(1, Math.round(height * scale));
    }
    sizeBox(compare, width, height);
    sizeBox(waiting, width, height);
    var result = compare.querySelector('img[data-role="result"]');
    function fromResult() { if (result.naturalWidth) sizeBox(compare, result.naturalWidth, result.naturalHeight); }
    result.addEventListener("load", fromResult);
    if (result.complete) fromResult();
    function update() { compare.style.setProperty("--position", range.value + "%"); }
    range.addEventListener("input", update);
    update();
  });
})();
