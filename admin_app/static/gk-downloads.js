// 下载中心: refresh the progress bars of queued and running jobs every 2 s; reload the page when one ends
// (its download link or its failure message appears). Loaded from a file: the CSP allows no inline script.
(function () {
  "use strict";
  var script = document.getElementById("gk-downloads-script");
  if (!script) { return; }
  var url = script.getAttribute("data-progress-url");
  function active() {
    return document.querySelectorAll('.gk-job-progress[data-active="1"]');
  }
  function update(jobs) {
    var ended = false;
    jobs.forEach(function (job) {
      var bar = document.querySelector('.gk-job-progress[data-job="' + job.id + '"]');
      if (!bar) { return; }
      if (!job.active) {
        if (bar.getAttribute("data-active") === "1") { ended = true; }
        return;
      }
      var inner = bar.querySelector(".progress-bar");
      inner.style.width = job.percent + "%";
      inner.setAttribute("aria-valuenow", job.percent);
      bar.setAttribute("title", job.text);
      var rows = document.querySelector('.gk-job-rows[data-job="' + job.id + '"]');
      if (rows) { rows.textContent = job.text; }
    });
    if (ended) { window.location.reload(); }
  }
  function poll() {
    if (active().length === 0) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { jobs: [] }; })
      .then(function (data) { update(data.jobs || []); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
}());
