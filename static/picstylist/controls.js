// Shows the strength slider's value as it moves.
(function () {
  "use strict";
  document.querySelectorAll('input[type="range"]').forEach(function (slider) {
    var output = document.querySelector('output[for="' + slider.id + '"]');
    if (!output) return;
    slider.addEventListener("input", function () { output.textContent = slider.value; });
  });
})();
