// Scorecard editor niceties. The form works fully without this file: every button is a
// server-side submit. Here we only dim the fields a criterion's method does not use
// (target and floor for bands, floor for binary, bands for linear and binary).
(function () {
  "use strict";

  function dim(select) {
    var card = select.closest("[data-criterion]");
    if (!card) {
      return;
    }
    card.querySelectorAll("[data-used-by]").forEach(function (element) {
      var used = element.getAttribute("data-used-by").split(" ").indexOf(select.value) >= 0;
      element.classList.toggle("field-unused", !used);
    });
  }

  document.querySelectorAll("select[data-method]").forEach(function (select) {
    dim(select);
    select.addEventListener("change", function () {
      dim(select);
    });
  });
})();
