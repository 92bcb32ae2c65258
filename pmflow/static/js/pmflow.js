/* pmflow: the little JavaScript the pages need. The CSP allows scripts from 'self' only, so
   behaviour lives here, attached by data attributes, never inline. */
(function () {
  "use strict";

  // <form data-confirm="..."> or <button data-confirm="...">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);

  // <select data-autosubmit>: submit the filter form when the choice changes.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  // After an htmx request the server may send HX-Trigger: {"pmflow:unread": n} to refresh the badge.
  document.addEventListener("pmflow:unread", function (event) {
    var n = event.detail && typeof event.detail.value !== "undefined" ? event.detail.value : event.detail;
    var bell = document.getElementById("notification-bell");
    if (!bell) { return; }
    var badge = document.getElementById("unread-badge");
    if (!n) {
      if (badge) { badge.remove(); }
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.id = "unread-badge";
      badge.className = "badge badge-count";
      bell.appendChild(document.createTextNode(" "));
      bell.appendChild(badge);
    }
    badge.textContent = String(n);
  });
})();
