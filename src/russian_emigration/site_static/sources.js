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
    // What the filter left, read out by screen readers: "12 of 200 sources", or "No rows match".
    const status = document.createElement("p");
    status.className = "filter-status";
    status.setAttribute("aria-live", "polite");
    table.parentElement.before(status);
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const row of body.rows) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every((w) => text.includes(w));
        if (!row.hidden) shown += 1;
      }
      const total = body.rows.length;
      if (!words.length) status.textContent = "";
      else if (shown === 0) status.textContent = `No rows match \u201c${filter.value.trim()}\u201d (0 of ${total} sources)`;
      else status.textContent = `${shown} of ${total} sources`;
    });
    // Each heading is a button (Tab, then Enter or Space, or a click); the sorted one carries
    // aria-sort and a visible arrow (▲ ascending, ▼ descending); the others show ↕.
    const heads = Array.from(table.tHead.rows[0].cells);
    const arrows = heads.map((th, column) => {
      const label = th.textContent.trim();
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.title = `Sort by ${label}`;
      button.textContent = `${label}\u00a0`;
      const arrow = document.createElement("span");
      arrow.className = "sort-arrow";
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = "\u2195";
      button.append(arrow);
      th.replaceChildren(button);
      th.classList.add("sortable-heading");
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach((other, i) => {
          other.removeAttribute("aria-sort");
          arrows[i].textContent = "\u2195";
          arrows[i].classList.remove("sorted");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        arrow.textContent = ascending ? "\u25b2" : "\u25bc";
        arrow.classList.add("sorted");
        const rows = Array.from(body.rows);
        rows.sort((a, b) => a.cells[column].textContent.localeCompare(b.cells[column].textContent) * (ascending ? 1 : -1));
        body.append(...rows);
      });
      return arrow;
    });
  });
  // A link to sources.html#id lands on its row even when a filter or sort moved it.
  if (location.hash) {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
});
