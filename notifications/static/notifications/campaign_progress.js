// Refresh the campaign counts from progress.json every few seconds while work is in progress.
(function () {
  "use strict";
  function refresh(box) {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.launched) { return; }
        // The launch finished filling the ledger (or stopped): the page shows another state, load it.
        if (box.dataset.fillState && data.fill_state !== box.dataset.fillState) { window.location.reload(); return; }
        Object.keys(data.channels).forEach(function (channel) {
          var row = box.querySelector('[data-channel="' + channel + '"]');
          var info = data.channels[channel];
          if (row) {
            row.querySelector('[data-role="bar"]').max = info.total;
            row.querySelector('[data-role="bar"]').value = info.done;
            row.querySelector('[data-role="done"]').textContent = info.done;
            row.querySelector('[data-role="total"]').textContent = info.total;
            row.querySelector('[data-role="percent"]').textContent = Number(info.percent).toLocaleString(
              document.documentElement.lang || undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
          }
          var states = box.querySelector('[data-channel-states="' + channel + '"]');
          if (states) {
            states.textContent = "";
            info.states.forEach(function (item) {
              if (!item.count) { return; }
              var badge = document.createElement("span");
              badge.className = "badge state-" + item.state;
              badge.dataset.state = item.state;
              // The page gives the pattern in its language ("{label}: {count}", French "{label} : {count}").
              badge.textContent = (box.dataset.countFormat || "{label}: {count}")
                .replace("{label}", item.label).replace("{count}", String(item.count));
              states.appendChild(badge);
              states.appendChild(document.createTextNode(" "));
            });
          }
        });
        box.querySelector('[data-role="unreachable"]').textContent = data.unreachable;
        box.querySelector('[data-role="unknown"]').textContent = data.unknown;
        box.querySelector('[data-role="unreadable"]').textContent = data.unreadable;
        if (!data.is_finished) {
          window.setTimeout(function () { refresh(box); }, data.fill_state === "filling" ? 1500 : 4000);
        }
      })
      .catch(function () { window.setTimeout(function () { refresh(box); }, 15000); });
  }
  document.querySelectorAll(".campaign-progress[data-progress-url]").forEach(function (box) {
    window.setTimeout(function () { refresh(box); }, 2000);
  });
})();
