// A select marked data-autosubmit sends its form when changed (no inline handlers: the Content Security Policy
// allows scripts from this site's static files only).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});
