(function () {
  /* Narrow the rows as one types: every word typed must start a word of the row's titles (its row header and each cell's first link)
     (accents and case ignored).  Without script the full list still works.
     The library's rows come in groups (<tbody data-rows>) that the browser lays out only when they scroll into view: until
     it is laid out again, a group is given the height of the rows left in it, and a group with none is hidden. */
  var box = document.getElementById("filter"), status = document.getElementById("filter-status");
  var rows = document.querySelectorAll("[data-row]"), groups = document.querySelectorAll("[data-rows]");
  var keys = null, group = null, height = 0;
  function fold(s) { return " " + s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase().replace(/[^\p{L}\p{N}]+/gu, " "); }
  function prepare() {  /* once, at the first key: each row's words, lowercase, and the group it is in */
    keys = new Array(rows.length);
    group = new Int32Array(rows.length);
    for (var i = 0, g = -1, parent = null; i < rows.length; i++) {
      var row = rows[i], names = row.querySelectorAll("th, td > a:first-child, li > a:first-child"), text = "";
      for (var k = 0; k < names.length; k++) text += names[k].textContent + " ";
      keys[i] = fold(text);
      if (row.parentNode !== parent) { parent = row.parentNode; g = Array.prototype.indexOf.call(groups, parent); }
      group[i] = g;
    }
    if (groups.length) {  /* a row's height, measured where rows are laid out: the first group is in view */
      var first = groups[0], n = first.querySelectorAll("[data-row]").length;
      height = n ? first.getBoundingClientRect().height / n : 0;
    }
  }
  function run() {
    if (keys === null) prepare();
    var words = fold(box.value).split(" ").filter(Boolean), shown = 0, wide = [];
    for (var w = 0; w < words.length; w++) wide.push(/[^\u0000-\u024f]/.test(words[w]));  /* no spaces between words */
    var left = new Int32Array(groups.length), total = new Int32Array(groups.length);
    for (var i = 0; i < rows.length; i++) {
      var key = keys[i], hit = true;
      for (w = 0; w < words.length && hit; w++) hit = key.indexOf(" " + words[w]) >= 0 || (wide[w] && key.indexOf(words[w]) >= 0);
      if (rows[i].hidden === hit) rows[i].hidden = !hit;
      if (hit) shown++;
      if (group[i] >= 0) { total[group[i]]++; if (hit) left[group[i]]++; }
    }
    for (var g = 0; g < groups.length; g++) {
      var none = left[g] === 0, size = none || left[g] === total[g] ? "" : Math.ceil(left[g] * height) + "px";
      if (groups[g].hidden !== none) groups[g].hidden = none;
      if (groups[g].style.containIntrinsicBlockSize !== size) groups[g].style.containIntrinsicBlockSize = size;
    }
    status.hidden = shown > 0;
  }
  box.hidden = false;
  box.labels[0].hidden = false;
  box.addEventListener("input", run);
  if (box.value) run();
})();
