// Live progress of job runs: poll the JSON view and update the rows in place.
(function () {
  "use strict";
  var table = document.getElementById("job-runs");
  if (!table) { return; }
  var source = table.getAttribute("data-source");
  function refresh() {
    fetch(source, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (runs) {
        runs.forEach(function (run) {
          var row = table.querySelector('tr[data-run="' + run.id + '"]');
          if (!row) { return; }
          row.querySelector(".run-status").textContent = run.status;
          var wait = row.querySelector(".run-wait");
          if (wait && run.status !== "queued") { wait.remove(); }
          var bar = row.querySelector("progress");
          bar.value = run.progress;
          bar.textContent = run.progress + " %";
          row.querySelector(".run-message").textContent = run.message;
          row.classList.toggle("table-danger", run.status === "waiting" || run.status === "failed");
        });
      })
      .catch(function () { /* the next poll tries again */ });
  }
  window.setInterval(refresh, 2000);
})();
