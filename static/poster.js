// The posters' print button, a progressive enhancement: without JavaScript the button stays
// hidden and the page says how to print from the browser's menu.
(function () {
  "use strict";
  var button = document.getElementById("imprimer");
  if (!button || typeof window.print !== "function") return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
