// SchoolHQ's few lines of script: messages for failed htmx requests. No inline script
// anywhere (the Content-Security-Policy forbids it), so behaviour lives here.
(function () {
  "use strict";
  function toast(text, isError) {
    var box = document.getElementById("toast");
    if (!box || !text) return;
    box.textContent = text;
    box.className = "toast" + (isError ? " error" : "");
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  function messageOf(xhr) {
    var header = xhr && xhr.getResponseHeader("X-Message");
    if (header) {
      try { return decodeURIComponent(header); } catch (e) { return header; }
    }
    return null;
  }
  document.addEventListener("htmx:responseError", function (event) {
    toast(messageOf(event.detail.xhr) || document.body.dataset.errorMessage, true);
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.offlineMessage, true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status < 400) {
      var text = messageOf(xhr);
      if (text) toast(text, false);
    }
  });
})();
