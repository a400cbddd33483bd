// Live profile-guide check on the request form (KAU-PROFILE-GUIDE). Without JavaScript the same
// check appears after each save; this only brings it forward.
(function () {
  "use strict";
  var form = document.querySelector("form.request-form");
  if (!form) { return; }
  // After a refused save, take keyboard and screen-reader users to the list of what to fix.
  // Once the draft exists the address bar names it too, so reloading the page opens the draft
  // instead of sending the form to "new request" a second time.
  var draftUrl = form.getAttribute("data-draft-url");
  if (draftUrl && window.location.pathname !== draftUrl && window.history.replaceState) {
    window.history.replaceState(null, "", draftUrl);
  }
  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
  var box = document.getElementById("guide-check");
  var url = form.getAttribute("data-check-url");
  var fields = ["sender_type", "platform", "handle", "profile_picture"];
  var timer = null;

  function render(deviations) {
    box.textContent = "";
    if (!deviations.length) { return; }
    var wrap = document.createElement("div");
    wrap.className = "notice notice--warn";
    var heading = document.createElement("h2");
    heading.textContent = box.getAttribute("data-title");
    wrap.appendChild(heading);
    var list = document.createElement("ul");
    deviations.forEach(function (d) {
      var item = document.createElement("li");
      item.textContent = d.message + " (" + d.rule + ")";
      list.appendChild(item);
    });
    wrap.appendChild(list);
    box.appendChild(wrap);
  }

  function check() {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    fields.forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      if (input) { data.append(name, input.value); }
    });
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) { if (json) { render(json.deviations); } })
      .catch(function () { /* the check after saving still applies */ });
  }

  fields.forEach(function (name) {
    var input = form.querySelector("[name=" + name + "]");
    if (!input) { return; }
    input.addEventListener("change", check);
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
  });
})();
