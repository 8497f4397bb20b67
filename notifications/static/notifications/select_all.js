// A header checkbox ticks or clears every checkbox of its class on the page shown, never on other pages.
document.querySelectorAll("input[data-select-all]").forEach((master) => {
  const boxes = () => document.querySelectorAll(`input.${master.dataset.selectAll}`);
  master.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = master.checked; });
  });
  document.addEventListener("change", (event) => {
    if (!event.target.classList || !event.target.classList.contains(master.dataset.selectAll)) return;
    const all = Array.from(boxes());
    master.checked = all.length > 0 && all.every((box) => box.checked);
    master.indeterminate = !master.checked && all.some((box) => box.checked);
  });
});
