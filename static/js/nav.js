// The main navigation folds into a "Menu" button on narrow screens. Without this script the list
// stays visible; with it, the button shows (on narrow screens only, by CSS) and toggles the list,
// telling assistive technology whether it is open with aria-expanded.
(function () {
  "use strict";
  var nav = document.querySelector("[data-nav-menu]");
  if (!nav) { return; }
  var button = nav.querySelector(".nav-toggle");
  if (!button) { return; }
  nav.classList.add("main-nav--collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("main-nav--open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      nav.classList.remove("main-nav--open");
      button.focus();
    }
  });
})();
