/* The vote grid (gk/vote_grid.html): each row shows what its own tally gives as it is typed — 评审通过,
   评审未通过, or why it cannot be saved yet. A preview only: the server checks every row again on save. */
(function () {
  "use strict";
  var PARTS = ["vote_expected", "vote_present", "vote_yes", "vote_no", "vote_abstain"];

  function fraction(text) {
    var parts = (text || "").split("/");
    return [parseInt(parts[0], 10), parseInt(parts[1], 10)];
  }

  function outcome(row) {
    var n = {}, blank = 0, i, raw;
    for (i = 0; i < PARTS.length; i += 1) {
      raw = row.querySelector("[data-part='" + PARTS[i] + "']").value.trim();
      if (raw === "") { blank += 1; continue; }
      if (!/^[0-9]+$/.test(raw)) { return ["人数应为整数", "text-danger"]; }
      n[PARTS[i]] = parseInt(raw, 10);
    }
    if (blank === PARTS.length) { return ["", ""]; }
    if (blank) { return ["未填完", "text-muted"]; }
    if (n.vote_present > n.vote_expected) { return ["实到多于应到", "text-danger"]; }
    if (n.vote_yes + n.vote_no + n.vote_abstain !== n.vote_present) { return ["人数之和≠实到", "text-danger"]; }
    var q = fraction(row.getAttribute("data-quorum")), m = fraction(row.getAttribute("data-majority"));
    if (n.vote_expected <= 0 || n.vote_present * q[1] < n.vote_expected * q[0]) {
      return ["未达法定人数，表决无效", "text-danger"];
    }
    if (n.vote_yes * m[1] >= n.vote_present * m[0]) { return ["评审通过", "text-success font-weight-bold"]; }
    return ["评审未通过", "text-warning font-weight-bold"];
  }

  function show(row) {
    var cell = row.querySelector(".gk-vote-outcome"), found = outcome(row);
    cell.textContent = found[0];
    cell.className = "gk-vote-outcome text-nowrap " + found[1];
  }

  var grid = document.getElementById("vote-grid");
  if (!grid) { return; }
  Array.prototype.forEach.call(grid.querySelectorAll("tr[data-row]"), show);
  grid.addEventListener("input", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (row) { show(row); }
  });
}());
