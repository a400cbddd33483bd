// An export's progress (KAU-PUBLIC-RECORD), polled while it waits or runs. The page works without
// this file through its "Refresh the status" link; with it, the progress bar and the text in the
// polite live region follow the job, and the download link appears when the bag is ready. No page
// reloads (WCAG 2.2.1).
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-export-status");
  var progress = box.querySelector("[data-export-progress]");
  var message = box.querySelector("[data-export-message]");
  var label = box.querySelector("[data-export-label]");
  var download = box.querySelector("[data-export-download]");
  var refresh = box.querySelector("[data-export-refresh]");
  var delay = 2000;
  var lastMessage = message ? message.textContent : "";

  function show(status) {
    if (progress) {
      progress.value = status.percent;
      progress.textContent = status.percent + " %";
    }
    if (label) {
      label.textContent = status.status_label;
      label.className = "status archive-status--" + status.status;
    }
    // Only a changed text is written, so that a screen reader is not told the same thing again.
    var text = status.message + (status.error ? " " + status.error : "");
    if (message && text !== lastMessage) {
      message.textContent = text;
      lastMessage = text;
    }
    if (status.download_url && download) {
      download.hidden = false;
    }
    if (status.finished && refresh) {
      refresh.hidden = true;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        // Keep the Refresh link; try again later, more slowly.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
