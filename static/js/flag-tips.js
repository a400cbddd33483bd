// The registry's flag tooltips (templates/accounts/includes/flag_badges.html) show on hover and on
// keyboard focus by CSS alone; Escape hides the one showing, as WCAG 1.4.13 asks of content that
// appears on hover or focus. It shows again when the pointer or focus comes back.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".flag-badge").forEach(function (badge) {
      if (badge.matches(":hover") || badge.contains(document.activeElement)) {
        badge.classList.add("flag-badge--dismissed");
      }
    });
  });
  function restore(event) {
    var badge = event.target.closest && event.target.closest(".flag-badge");
    if (badge) { badge.classList.remove("flag-badge--dismissed"); }
  }
  document.addEventListener("focusin", restore);
  document.addEventListener("mouseover", restore);
})();
