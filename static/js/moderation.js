// "Requires registration" is proposed for criticism and for prohibited content (KAU-DIARY-ACTION).
// The server already proposes it when the page is drawn; this ticks the box as soon as such a reading
// is chosen. It never unticks it: the moderator decides, and a box they have unticked stays unticked.
(function () {
  "use strict";
  function byName(form, suffix) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name === suffix || el.name.slice(-(suffix.length + 1)) === "-" + suffix;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-proposes-registration]"), function (form) {
    var box = byName(form, "requires_registration")[0];
    var classification = byName(form, "classification")[0];
    var prohibited = byName(form, "prohibited");
    if (!box || !classification) { return; }
    var decided = false;
    box.addEventListener("change", function () { decided = true; });

    function proposes() {
      if (classification.value === "criticism") { return true; }
      return prohibited.some(function (el) { return el.checked; });
    }

    function propose() {
      if (!decided && proposes()) { box.checked = true; }
    }

    classification.addEventListener("change", propose);
    prohibited.forEach(function (el) { el.addEventListener("change", propose); });
  });

  // After a refused save, take keyboard and screen-reader users to the list of what to fix.
  var errors = document.querySelector(".form-errors[role=alert]");
  if (errors) { errors.focus(); }
})();
