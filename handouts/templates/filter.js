(function () {
  /* Narrow the rows as one types: every word typed must start a word of the row's titles (its row header and each cell's first link)
     (accents and case ignored).  Without script the full list still works. */
  var box = document.getElementById("filter"), status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]")), keys = null;
  function fold(s) { return " " + s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase().replace(/[^\p{L}\p{N}]+/gu, " "); }
  function run() {
    if (keys === null) {
      keys = rows.map(function (row) {
        return fold(Array.prototype.map.call(row.querySelectorAll("th, td > a:first-child, li > a:first-child"), function (e) { return e.textContent; }).join(" "));
      });
    }
    var words = fold(box.value).split(" ").filter(Boolean), shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var hit = words.every(function (w) { return keys[i].indexOf(" " + w) >= 0 || (/[^\u0000-\u024f]/.test(w) && keys[i].indexOf(w) >= 0); });
      if (rows[i].hidden === hit) rows[i].hidden = !hit;
      if (hit) shown++;
    }
    status.hidden = shown > 0;
  }
  box.hidden = false;
  box.labels[0].hidden = false;
  box.addEventListener("input", run);
  if (box.value) run();
})();
