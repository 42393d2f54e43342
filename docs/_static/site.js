// The report site's one script: sortable, filterable tables; tooltips for chart marks; the Sources
// page filtered to the sources of one chart mark (sources.html#ids=a,b). No network, no library.
document.addEventListener("DOMContentLoaded", () => {
  // A control's accessible name is the text it shows (the theme's search button, the code toggle).
  document.querySelectorAll(".search-button-field[aria-label], details.hide summary[aria-label]").forEach((control) => {
    control.removeAttribute("aria-label");
  });
  const LONG = 12; // a table with more rows gets a filter box
  document.querySelectorAll("table.re-sources, .re-table table").forEach((table) => {
    if (!table.tHead || !table.tBodies[0]) return;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    if (rows.length > LONG) {
      const filter = document.createElement("input");
      filter.type = "search";
      filter.placeholder = "Filter rows: type any word";
      filter.setAttribute("aria-label", "Filter the rows of this table");
      filter.className = "re-filter";
      const status = document.createElement("p");
      status.className = "re-filter-status";
      status.setAttribute("aria-live", "polite");
      const box = table.closest(".re-table-scroll") || table;
      box.before(filter, status);
      filter.addEventListener("input", () => {
        const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
        let shown = 0;
        rows.forEach((row) => {
          row.hidden = !words.every((w) => row.textContent.toLowerCase().includes(w));
          if (!row.hidden) shown += 1;
        });
        status.textContent = !words.length ? "" : shown === 0
          ? `No rows match \u201c${filter.value.trim()}\u201d (0 of ${rows.length})` : `${shown} of ${rows.length} rows`;
      });
      table.reFilter = filter;
    }
    // Each heading is a button (Tab, then Enter or Space, or a click): ascending, then descending.
    const heads = Array.from(table.tHead.rows[0].cells);
    const number = /^-?[0-9][0-9,]*(\.[0-9]+)?%?$/;
    heads.forEach((th, column) => {
      const label = th.textContent.trim();
      const button = document.createElement("button");
      button.type = "button";
      button.className = "re-sort";
      button.title = `Sort by ${label}`;
      button.textContent = `${label}\u00a0`;
      const arrow = document.createElement("span");
      arrow.className = "re-sort-arrow";
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = "\u2195";
      button.append(arrow);
      th.replaceChildren(button);
      th.setAttribute("scope", "col");
      button.addEventListener("click", () => {
        const direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach((other) => {
          other.removeAttribute("aria-sort");
          other.querySelector(".re-sort-arrow").textContent = "\u2195";
        });
        th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
        arrow.textContent = direction > 0 ? "\u25b2" : "\u25bc";
        const key = (row) => row.cells[column].textContent.trim();
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          if (number.test(x) && number.test(y)) return direction * (parseFloat(x.replace(/,/g, "")) - parseFloat(y.replace(/,/g, "")));
          return direction * x.localeCompare(y);
        });
        body.append(...rows);
      });
    });
  });

  // A chart mark shows its value, date and source on hover or keyboard focus.
  const tip = document.createElement("div");
  tip.className = "re-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.append(tip);
  const showFor = (mark) => {
    const title = mark.querySelector("title");
    tip.textContent = title ? title.textContent : "";
    const box = mark.getBoundingClientRect();
    const left = Math.min(box.left, document.documentElement.clientWidth - 260);
    tip.style.left = `${window.scrollX + Math.max(4, left)}px`;
    tip.style.top = `${window.scrollY + box.bottom + 6}px`;
    tip.hidden = false;
  };
  const markOf = (node) => (node && node.closest ? node.closest(".re-mark") : null);
  document.addEventListener("mouseover", (event) => { if (markOf(event.target)) showFor(markOf(event.target)); });
  document.addEventListener("focusin", (event) => { if (markOf(event.target)) showFor(markOf(event.target)); });
  document.addEventListener("focusout", () => { tip.hidden = true; });
  document.addEventListener("mouseout", (event) => {
    if (!markOf(event.target)) return;
    const focused = markOf(document.activeElement);  // a mark with the keyboard's focus keeps its tooltip
    if (focused) showFor(focused);
    else tip.hidden = true;
  });

  // "Cite this chart" (and each headline finding): title, project, data version, build date, permalink.
  const cite = window.reCite;
  if (cite) {
    const page = (document.querySelector("h1") || {}).textContent || document.title;
    document.querySelectorAll("figure.re-chart[id], .re-finding[id]").forEach((item) => {
      const chart = item.matches("figure");
      // A finding on the landing page is named by the analysis above it; on its own page, by the page.
      let lead = item.closest("#main-findings") ? item : null;
      while (lead && !lead.previousElementSibling) lead = lead.parentElement;
      lead = lead ? lead.previousElementSibling : null;
      const section = lead && lead.querySelector("strong a") ? lead.textContent : page.replace(/#$/, "");
      const title = chart ? item.querySelector(".re-chart-title").textContent : `${section.trim()}: headline finding`;
      // A page opened from a file has no public address: the line gives the page and anchor, not a local path.
      const here = location.protocol.startsWith("http") ? location.href.split("#")[0] : location.pathname.split("/").pop();
      const url = `${here}#${item.id}`;
      const line = document.createElement("details");
      line.className = "re-cite";
      const summary = document.createElement("summary");
      summary.textContent = chart ? "Cite this chart" : "Cite this finding";
      const text = document.createElement("p");
      text.append(`${cite.authors} (${cite.year}). \u201c${title}\u201d. In: ${cite.project}, data package version `
        + `${cite.version}, built ${cite.built}. `);
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      text.append(link);
      line.append(summary, text);
      (chart ? item.querySelector("figcaption") : item).after(line);
    });
  }

  // sources.html#ids=a,b: the sources behind one chart mark, the others hidden until the filter is cleared.
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("ids=")) {
    const wanted = new Set(hash.slice(4).split(","));
    const table = document.querySelector("table.re-sources");
    if (table) {
      Array.from(table.tBodies[0].rows).forEach((row) => { row.hidden = !wanted.has(row.id); });
      const note = document.createElement("p");
      note.className = "re-filter-status";
      note.textContent = `Showing the ${wanted.size} sources behind one mark of a chart. `;
      const all = document.createElement("a");
      all.href = "sources.html";
      all.textContent = "Show every source";
      note.append(all);
      table.before(note);
    }
  } else if (hash) {
    const target = document.getElementById(hash);
    if (target) target.scrollIntoView();
  }
  // A table wider than its box says that it scrolls sideways (the line is drawn by site.css), at any width.
  const boxes = document.querySelectorAll(".re-table-scroll, .pst-scrollable-table-container");
  const markWide = () => boxes.forEach((box) => box.classList.toggle("re-wide", box.scrollWidth > box.clientWidth + 1));
  markWide();
  window.addEventListener("resize", markWide);
});
