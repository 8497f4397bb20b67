// Field-by-field page: copy a value to the clipboard, remember which fields were copied, reload while the PDF renders.
(function () {
  "use strict";
  var page = document.querySelector("[data-filing]");
  if (!page) { return; }
  var storageKey = "breachdesk.filing." + page.dataset.filing + ".copied";
  var copied;
  try { copied = JSON.parse(window.localStorage.getItem(storageKey) || "{}"); } catch (error) { copied = {}; }
  var fields = page.querySelectorAll(".tele-field");
  var total = document.querySelector("[data-testid=field-count]");
  var count = document.querySelector("[data-testid=copied-count]");
  if (total) { total.textContent = String(fields.length); }

  function refresh() {
    var done = 0;
    fields.forEach(function (field) {
      var isCopied = Boolean(copied[field.dataset.key]);
      field.classList.toggle("copied", isCopied);
      if (isCopied) { done += 1; }
    });
    if (count) { count.textContent = String(done); }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  page.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var text = button.dataset.copy;
    var field = button.closest(".tele-field");
    var write = navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text) : fallbackCopy(text);
    write.then(function () {
      copied[field.dataset.key] = true;
      try { window.localStorage.setItem(storageKey, JSON.stringify(copied)); } catch (error) { /* private mode */ }
      button.textContent = button.dataset.doneLabel || "✓";
      refresh();
    }, function () {
      button.textContent = "✗";
    });
  });
  refresh();

  var pending = document.querySelector("[data-reload]");
  if (pending) {
    window.setTimeout(function () { window.location.reload(); }, Number(pending.dataset.reload) * 1000);
  }
})();
