// The new case form's script, a progressive enhancement: the page works without it.
// On the new case form, choosing the usager's situation brings that situation's usual partners
// to the top of the list of organisations and marks them (the server does the same after a
// submission). The suggestions come from the page itself (data-suggests on each situation).
(function () {
  "use strict";
  var groups = document.getElementById("group_ids");
  var situations = document.querySelectorAll("input[name='situation'][data-suggests]");
  if (!groups || !situations.length) return;
  var items = Array.prototype.slice.call(groups.querySelectorAll(".fr-fieldset__element[data-organisation]"));
  var anchor = items.length ? items[items.length - 1].nextSibling : null;

  function hint(item, suggested) {
    var label = item.querySelector("label");
    var current = label.querySelector(".relais-suggested");
    if (suggested && !current) {
      var span = document.createElement("span");
      span.className = "fr-hint-text relais-suggested";
      span.textContent = "Souvent saisi pour cette situation";
      label.appendChild(span);
    } else if (!suggested && current) {
      current.remove();
    }
  }

  function reorder(suggests) {
    var ranked = items.slice().sort(function (a, b) {
      var ra = suggests.indexOf(a.dataset.organisation), rb = suggests.indexOf(b.dataset.organisation);
      ra = ra < 0 ? suggests.length : ra;
      rb = rb < 0 ? suggests.length : rb;
      return ra - rb || items.indexOf(a) - items.indexOf(b);
    });
    ranked.forEach(function (item) {
      hint(item, suggests.indexOf(item.dataset.organisation) >= 0);
      groups.insertBefore(item, anchor);
    });
  }

  Array.prototype.forEach.call(situations, function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) reorder(radio.dataset.suggests.split(" ").filter(Boolean));
    });
  });
})();
