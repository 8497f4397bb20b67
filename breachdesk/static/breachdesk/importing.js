// Poll the progress of a running import and refresh the page once it has ended.
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || section.dataset.finished === "true") { return; }
  var url = section.dataset.progressUrl;
  function show(counts) {
    var expected = Math.max(counts.rows_expected || 0, counts.rows_read || 0, 1);
    section.querySelectorAll("progress[data-bar]").forEach(function (bar) {
      bar.max = expected;
      bar.value = counts[bar.dataset.bar] || 0;
    });
    document.querySelectorAll("[data-field]").forEach(function (field) {
      var name = field.dataset.field;
      if (name in counts) { field.textContent = counts[name]; }
    });
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (counts) {
        show(counts);
        if (counts.is_finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();
