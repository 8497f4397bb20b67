// Live countdowns: each element carries its deadline in UTC (ISO 8601); the text counts down every second.
(function () {
  "use strict";
  var overdueLabel = document.documentElement.lang === "en" ? "overdue by" : "dépassé de";
  function format(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(total / 86400);
    var hours = Math.floor((total % 86400) / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (days ? days + (document.documentElement.lang === "en" ? "d " : "j ") : "") + pad(hours) + ":" + pad(minutes) + ":" + pad(seconds);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (element) {
      if (element.dataset.stopped === "true") { return; }
      var left = Date.parse(element.dataset.deadline) - now;
      element.textContent = left > 0 ? format(left) : overdueLabel + " " + format(left);
      var row = element.closest("tr");
      if (row) {
        row.classList.toggle("overdue", left <= 0);
        row.classList.toggle("soon", left > 0 && left < 12 * 3600 * 1000);
      }
    });
  }
  tick();
  setInterval(tick, 1000);
})();
