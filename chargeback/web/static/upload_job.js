// Live progress of a big upload's run: poll its JSON view, update the page in place, and
// load the page again once the run has ended (it then shows the result and its batch).
(function () {
  "use strict";
  var box = document.getElementById("upload-job");
  if (!box || box.getAttribute("data-done") === "true") { return; }
  var source = box.getAttribute("data-source");
  var timer = null;
  function refresh() {
    fetch(source, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        if (run.done) {
          window.clearInterval(timer);
          window.location.reload();
          return;
        }
        box.querySelector(".run-status").textContent = run.status;
        var bar = box.querySelector("progress");
        bar.value = run.progress;
        bar.textContent = run.progress + " %";
        box.querySelector(".run-progress-text").textContent = run.progress + " %";
        box.querySelector(".run-message").textContent = run.message;
      })
      .catch(function () { /* the next poll tries again */ });
  }
  timer = window.setInterval(refresh, 2000);
})();
