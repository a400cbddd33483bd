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

  // A saved reply (KAU-RESPONSE-TONE) goes into the answer field in place, to be edited before it is
  // sent: after what is written already, or alone. Without this script "Insert" draws the page again
  // with the text in the field.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-action=answer]"), function (form) {
    var insert = form.querySelector("[data-insert-reply]");
    var chooser = form.querySelector("select[name=reply]");
    var answer = form.querySelector("textarea[name$=answer]");
    if (!insert || !chooser || !answer) { return; }
    insert.addEventListener("click", function (event) {
      var chosen = form.querySelector("[data-reply-texts] [data-reply-id='" + chooser.value + "']");
      if (!chosen) { return; } // nothing chosen: the server says so, on the field
      event.preventDefault();
      var written = answer.value.replace(/\s+$/, "");
      answer.value = written ? written + "\n\n" + chosen.textContent : chosen.textContent;
      answer.focus();
      answer.setSelectionRange(answer.value.length, answer.value.length);
    });
  });

  // After a refused save, take keyboard and screen-reader users to the list of what to fix. The page
  // draws the refused form's disclosure open; opening any closed one around it is a safety net.
  var errors = document.querySelector(".form-errors[role=alert]");
  if (errors) {
    for (var node = errors.parentNode; node; node = node.parentNode) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    errors.focus();
  }
})();
