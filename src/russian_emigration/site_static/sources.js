// Sorting and filtering for tables with class "sortable" (the Sources page). No network, no library.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach((table) => {
    const body = table.tBodies[0];
    const filter = document.createElement("input");
    filter.type = "search";
    filter.className = "table-filter";
    filter.placeholder = "Filter: type any word";
    filter.setAttribute("aria-label", "Filter the table");
    table.parentElement.before(filter);
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const row of body.rows) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every((w) => text.includes(w));
      }
    });
    table.tHead.querySelectorAll("th").forEach((th, column) => {
      th.classList.add("sortable-heading");
      th.title = "Sort by this column";
      let ascending = true;
      th.addEventListener("click", () => {
        const rows = Array.from(body.rows);
        rows.sort((a, b) => a.cells[column].textContent.localeCompare(b.cells[column].textContent) * (ascending ? 1 : -1));
        ascending = !ascending;
        body.append(...rows);
      });
    });
  });
  // A link to sources.html#id lands on its row even when a filter or sort moved it.
  if (location.hash) {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
});
