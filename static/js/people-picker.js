// The people pickers (core.forms.PeoplePicker): a search box that filters the list of checkboxes by
// name or e-mail as one types. Without JavaScript the whole list is there to tick, the chosen first.
(function () {
  "use strict";
  document.querySelectorAll("[data-people-picker]").forEach(function (picker) {
    var search = picker.querySelector("[data-people-search]");
    var input = search && search.querySelector("input[type=search]");
    var none = picker.querySelector("[data-people-none]");
    var options = Array.prototype.slice.call(picker.querySelectorAll("[data-search]"));
    if (!input) { return; }
    search.hidden = false;

    function filter() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (option) {
        var text = option.getAttribute("data-search");
        var box = option.querySelector("input");
        // A ticked person stays in view, so nobody chosen is hidden by a search for someone else.
        var match = box.checked || words.every(function (word) { return text.indexOf(word) !== -1; });
        option.hidden = !match;
        if (match) { shown += 1; }
      });
      none.hidden = shown > 0;
    }

    input.addEventListener("input", filter);
    // Enter in the search box ticks nothing and sends nothing: it would submit the whole form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  });
})();
