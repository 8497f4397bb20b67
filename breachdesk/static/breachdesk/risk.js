// Risk page: show the ENISA arithmetic of the form's current choices before the assessment is recorded.
(function () {
  "use strict";
  var form = document.querySelector("form.risk-form");
  var source = document.getElementById("enisa-factors");
  var output = document.querySelector("[data-testid=preview]");
  if (!form || !source || !output) { return; }
  var factors = JSON.parse(source.textContent);

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : null;
  }
  var decimalComma = document.documentElement.lang !== "en";
  function number(value) {
    var text = String(Math.round(value * 100) / 100);
    return decimalComma ? text.replace(".", ",") : text;
  }
  function band(score) {
    if (score < 2) { return factors.bands.low; }
    if (score < 3) { return factors.bands.medium; }
    if (score < 4) { return factors.bands.high; }
    return factors.bands.very_high;
  }
  function render() {
    var exposures = Array.prototype.map.call(form.querySelectorAll("input[name=exposures]:checked"), function (input) { return input.value; });
    var identification = checked("identification");
    if (!exposures.length || !identification) { output.textContent = ""; return; }
    var dpc = Math.max.apply(null, exposures.map(function (code) { return factors.dpc[code]; }));
    var health = exposures.some(function (code) { return factors.health.indexOf(code) !== -1; });
    var terms = [
      factors.confidentiality[checked("confidentiality")] || 0,
      factors.integrity[checked("integrity")] || 0,
      factors.availability[checked("availability")] || 0,
      form.querySelector("input[name=is_malicious]").checked ? factors.malicious : 0
    ];
    var ei = factors.identification[identification];
    var score = dpc * ei + terms.reduce(function (a, b) { return a + b; }, 0);
    output.textContent = "SE = DPC × EI + CB = " + dpc + " × " + number(ei) + " + (" + terms.map(number).join(" + ") + ") = " +
      number(score) + " → " + band(score) + (health ? " · " + factors.health_note : "");
  }
  form.addEventListener("change", render);
  render();
})();
