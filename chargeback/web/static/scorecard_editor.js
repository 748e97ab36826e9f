// Scorecard editor niceties. The form works fully without this file: every button is a
// server-side submit ("Use these measures" builds the expression on the server). Here:
// - dim the fields a criterion's method does not use (target and floor for bands, floor
//   for binary, bands for linear and binary);
// - the measure builder: picking a measure (and "per" a second one) fills the expression
//   in at once and says what the measure is, its unit and latest value;
// - the expression is checked as it is typed, by the server's own validation (a small JSON
//   endpoint, CSRF token sent), and the answer shown under the field without reloading.
(function () {
  "use strict";

  var form = document.getElementById("scorecard-form");

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

  if (!form) {
    return;
  }

  function about(option) {
    if (!option || !option.value) {
      return "";
    }
    var text = option.value + ": " + option.getAttribute("data-description") + ", in " +
      option.getAttribute("data-unit");
    var value = option.getAttribute("data-value");
    return text + (value ? "; latest " + value + " (" + option.getAttribute("data-period") + ")"
      : "; no value yet");
  }

  function build(fieldset) {
    var row = fieldset.getAttribute("data-builder-row");
    var measure = fieldset.querySelector("[data-builder=measure]");
    var per = fieldset.querySelector("[data-builder=per]");
    var expr = document.getElementById("criteria-" + row + "-expr");
    var said = document.getElementById("criteria-" + row + "-measure-about");
    var parts = [about(measure.selectedOptions[0]), about(per.selectedOptions[0])];
    said.textContent = parts.filter(Boolean).join(" · per ");
    if (!measure.value || !expr) {
      return;
    }
    expr.value = per.value ? measure.value + " / " + per.value : measure.value;
    expr.dispatchEvent(new Event("input", {bubbles: true}));
  }

  document.querySelectorAll("[data-builder-row]").forEach(function (fieldset) {
    fieldset.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        build(fieldset);
      });
    });
    fieldset.querySelector(".builder-use").classList.add("d-none");  // the change does it
  });

  var url = form.getAttribute("data-check-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timers = {};

  function show(input, live, answer) {
    var words = answer.errors.length ? answer.errors.join("; ")
      : (answer.warnings.length ? answer.warnings.join("; ") : "The expression reads well.");
    live.textContent = words;
    live.classList.toggle("text-danger", answer.errors.length > 0);
    live.classList.toggle("text-warning-emphasis", !answer.errors.length && answer.warnings.length > 0);
    live.classList.toggle("text-success", answer.ok && !answer.warnings.length);
    input.classList.toggle("is-invalid", answer.errors.length > 0);
  }

  function check(input) {
    var live = document.getElementById(input.id + "-live");
    var body = new FormData();
    body.append("expr", input.value);
    body.append("csrf_token", token);
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        show(input, live, answer);
      })
      .catch(function () {
        live.textContent = "Could not check the expression now; it is checked when you save.";
      });
  }

  document.querySelectorAll("input[data-check-row]").forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(timers[input.id]);
      timers[input.id] = setTimeout(function () {
        check(input);
      }, 300);
    });
  });
})();
