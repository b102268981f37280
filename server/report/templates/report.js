// Sort, filter and search the exceptions queue; open a payment's evidence.
// Reads only the page's own data-* attributes and never builds markup from them.
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table) { return; }
  var items = Array.prototype.slice.call(table.tBodies);
  var search = document.getElementById("search");
  var filters = ["status", "reason", "currency"].map(function (name) {
    return { name: name, element: document.getElementById("filter-" + name) };
  }).filter(function (f) { return f.element; });
  var shown = document.getElementById("shown");
  var nothing = document.getElementById("nothing");

  function apply() {
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    items.forEach(function (item) {
      var ok = filters.every(function (f) {
        return !f.element.value || item.dataset[f.name] === f.element.value;
      });
      var text = item.dataset.search;
      ok = ok && words.every(function (w) { return text.indexOf(w) >= 0; });
      item.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + items.length + " shown";
    nothing.hidden = count !== 0;
  }

  var keys = {
    status: function (i) { return i.dataset.status; },
    date: function (i) { return i.dataset.date; },
    payer: function (i) { return i.dataset.payer; },
    reason: function (i) { return i.dataset.reason; },
    amount: function (i) { return Number(i.dataset.amount); },
    confidence: function (i) { return Number(i.dataset.confidence); }
  };

  function sortBy(header) {
    var key = header.dataset.sort;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.tHead.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var value = keys[key];
    items.sort(function (a, b) {
      var x = value(a), y = value(b);
      var order = x < y ? -1 : x > y ? 1 : 0;
      if (order === 0) { order = a.dataset.date < b.dataset.date ? -1 : a.dataset.date > b.dataset.date ? 1 : 0; }
      return ascending ? order : -order;
    });
    items.forEach(function (item) { table.appendChild(item); });
  }

  function toggle(item, open) {
    var head = item.rows[0];
    open = open === undefined ? !item.classList.contains("open") : open;
    item.classList.toggle("open", open);
    head.setAttribute("aria-expanded", open ? "true" : "false");
  }

  table.tHead.addEventListener("click", function (event) {
    var th = event.target.closest("th[data-sort]");
    if (th) { sortBy(th); }
  });
  items.forEach(function (item) {
    var head = item.rows[0];
    head.addEventListener("click", function () { toggle(item); });
    head.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(item); }
    });
  });
  var expand = document.getElementById("expand-all");
  expand.addEventListener("click", function () {
    var open = expand.textContent === "Expand all";
    items.forEach(function (item) { if (!item.hidden) { toggle(item, open); } });
    expand.textContent = open ? "Collapse all" : "Expand all";
  });
  search.addEventListener("input", apply);
  filters.forEach(function (f) { f.element.addEventListener("change", apply); });
  apply();
})();
