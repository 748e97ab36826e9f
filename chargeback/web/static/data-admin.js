// Data and administration pages: ask before a form that changes something hard to undo.
// Forms carry the question in data-confirm (CSP allows no inline handlers).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
