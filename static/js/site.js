// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A select marked data-autosubmit sends its form when changed (the Filter button is there for no-JS).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

  // After a rating or a mark on a list, the cards stay where they are; a note offers the list of the new taste.
  function offerRefresh() {
    document.querySelectorAll("[data-refresh-note]").forEach(function (note) { note.hidden = false; });
  }
  document.body.addEventListener("rating-changed", offerRefresh);
  document.body.addEventListener("marks-changed", offerRefresh);

  // htmx leaves the page as it is when a request fails: say so, instead of failing silently.
  function showError(text) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(showError.timer);
    showError.timer = window.setTimeout(function () { box.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0 ? xhr.responseText : "";
    showError(text || "That did not work (error " + xhr.status + "). Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The site cannot be reached. Check your connection and try again.");
  });
})();
