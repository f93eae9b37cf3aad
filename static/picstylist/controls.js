// The style controls: shows the strength slider's value as it moves, and
// shows a mix's weights only once a style to mix with is chosen (the third
// style only after a second). Without this script every control shows.
(function () {
  "use strict";
  document.querySelectorAll('input[type="range"]').forEach(function (slider) {
    var output = document.querySelector('output[for="' + slider.id + '"]');
    if (!output) return;
    slider.addEventListener("input", function () { output.textContent = slider.value; });
  });

  function control(name) { return document.querySelector(".control-" + name); }
  function chosen(name) { var select = document.getElementById("id_" + name); return !!(select && select.value); }

  var second = document.getElementById("id_second_style");
  var third = document.getElementById("id_third_style");
  if (!second || !third) return;
  function update() {
    var mixing = chosen("second_style") || chosen("third_style");
    [["main_weight", mixing], ["second_weight", chosen("second_style")],
     ["third_style", mixing], ["third_weight", chosen("third_style")]].forEach(function (pair) {
      var box = control(pair[0]);
      // A control with an error to show always shows.
      if (box) box.hidden = !pair[1] && !box.querySelector('[data-errors-for]:not([hidden])');
    });
  }
  second.addEventListener("change", update);
  third.addEventListener("change", update);
  update();
})();
