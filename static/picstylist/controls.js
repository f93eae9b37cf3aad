// The style controls: shows each slider's value as it moves; shows a mix's
// weights only once a style to mix with is chosen (the third style only after
// a second), and each weight as its share of the mix, adding up to 100 %, as
// it is set. Without this script every control shows, without the shares.
(function () {
  "use strict";
  document.querySelectorAll('input[type="range"]').forEach(function (slider) {
    var output = document.querySelector('output[for="' + slider.id + '"]');
    if (!output) return;
    slider.addEventListener("input", function () { output.textContent = slider.value; });
  });

  function control(name) { return document.querySelector(".control-" + name); }
  function chosen(name) { var select = document.getElementById("id_" + name); return !!(select && select.value); }

  // Whole percentages that add up to exactly 100 (largest remainders get the rest).
  function shares(weights) {
    var total = weights.reduce(function (sum, w) { return sum + w; }, 0);
    if (total <= 0) return weights.map(function () { return null; });
    var exact = weights.map(function (w) { return (100 * w) / total; });
    var whole = exact.map(Math.floor);
    var left = 100 - whole.reduce(function (sum, w) { return sum + w; }, 0);
    exact.map(function (e, i) { return [e - whole[i], i]; })
      .sort(function (a, b) { return b[0] - a[0]; })
      .slice(0, left)
      .forEach(function (pair) { whole[pair[1]] += 1; });
    return whole;
  }

  var second = document.getElementById("id_second_style");
  var third = document.getElementById("id_third_style");
  if (!second || !third) return;
  var ranks = [["main_weight", null], ["second_weight", "second_style"], ["third_weight", "third_style"]];

  function showShares() {
    var used = ranks.filter(function (rank) { return rank[1] === null || chosen(rank[1]); });
    var weights = used.map(function (rank) {
      var value = parseFloat(document.getElementById("id_" + rank[0]).value);
      return value > 0 ? value : 0;
    });
    var percents = shares(weights);
    ranks.forEach(function (rank) {
      var output = document.querySelector('output[data-weight="' + rank[0] + '"]');
      if (!output) return;
      var index = used.indexOf(rank);
      output.textContent = index < 0 || percents[index] === null ? "" : "= " + percents[index] + " % of the mix";
    });
  }

  function update() {
    var mixing = chosen("second_style") || chosen("third_style");
    [["main_weight", mixing], ["second_weight", chosen("second_style")],
     ["third_style", mixing], ["third_weight", chosen("third_style")]].forEach(function (pair) {
      var box = control(pair[0]);
      // A control with an error to show always shows.
      if (box) box.hidden = !pair[1] && !box.querySelector('[data-errors-for]:not([hidden])');
    });
    showShares();
  }
  second.addEventListener("change", update);
  third.addEventListener("change", update);
  ranks.forEach(function (rank) {
    var input = document.getElementById("id_" + rank[0]);
    if (input) input.addEventListener("input", showShares);
  });
  update();
})();
