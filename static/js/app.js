// SchoolHQ's few lines of script: messages for failed htmx requests. No inline script
// anywhere (the Content-Security-Policy forbids it), so behaviour lives here.
(function () {
  "use strict";
  // The header's folded menus (a tablet's width, app.css): a tap opens one and closes the
  // others; a tap elsewhere or Escape closes them. Only with script does the header fold.
  document.documentElement.classList.add("js");
  function closeMenus(except) {
    document.querySelectorAll("[data-menu-toggle][aria-expanded='true']").forEach(function (open) {
      if (open !== except) open.setAttribute("aria-expanded", "false");
    });
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    closeMenus(toggle);
    if (toggle) toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });
  // "Take off" on a scanned list: the row leaves the list (the list travels in the form).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-row]");
    if (button) button.closest("li").remove();
  });
  // A choice that changes what a check shows (the import's sheet, header row, the places
  // and people to create) runs the check again at once, so the counts beside the import
  // button are always the ones it will import.
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-recheck]");
    var again = field && field.form && field.form.querySelector("button[name=action][value=check]");
    if (again) field.form.requestSubmit(again);
  });
  // A search box that picks (a spare part): Enter searches at once instead of sending
  // the form around it, and when just one thing matches (a scanned barcode) it is picked.
  document.addEventListener("keydown", function (event) {
    var input = event.key === "Enter" && event.target.closest && event.target.closest("[data-enter-stays]");
    if (!input) return;
    event.preventDefault();
    input.pickOne = true;
    htmx.trigger(input, "pick-now");
  });
  // A pick empties its search box at once, so the next tag typed or scanned is not cut
  // by the answer arriving; the old results go when the picked line is in its list.
  document.addEventListener("click", function (event) {
    var results = event.target.closest && event.target.closest("button[data-hx-get]") &&
      event.target.closest("[id]");
    var search = results && document.querySelector("[data-enter-stays][data-hx-target='#" + results.id + "']");
    if (search) {
      search.value = "";
      search.focus();
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = event.detail.target, searchId = list && list.getAttribute && list.getAttribute("data-picked-by");
    var search = searchId && document.getElementById(searchId);
    var shown = search && document.querySelector(search.getAttribute("data-hx-target"));
    if (shown && !search.value) shown.replaceChildren();
    var input = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!input || !input.pickOne) return;
    input.pickOne = false;
    var results = document.querySelector(input.getAttribute("data-hx-target"));
    var choices = results ? results.querySelectorAll("button[data-hx-get]") : [];
    if (choices.length === 1) choices[0].click();
  });
  // The Print button of a page meant for paper: a tablet has no Ctrl+P.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
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
  // An answer of a round that could not be sent (Wi-Fi dropped), or that the server was
  // too busy to save (503), is marked unsaved on its item and sent again when the
  // connection is back or a few seconds later; nothing already saved is touched.
  var unsent = [];
  function sendAgain() {
    var waiting = unsent;
    unsent = [];
    waiting.forEach(function (p) { if (document.body.contains(p.elt)) htmx.trigger(p.elt, p.type); });
  }
  function keepToResend(event, message) {
    var elt = event.detail.elt, slot = elt && elt.closest ? elt.closest("[data-slot]") : null;
    if (!slot) return false;
    slot.classList.add("unsaved");
    var cause = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    // only the item's last answer is sent again: an earlier tap was changed on purpose
    unsent = unsent.filter(function (p) { return p.slot !== slot; });
    unsent.push({ elt: elt, slot: slot, type: cause ? cause.type : "click" });
    toast(message || document.body.dataset.unsavedMessage, true);
    return true;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 503 && keepToResend(event, messageOf(xhr))) return;
    toast(messageOf(xhr) || document.body.dataset.errorMessage, true);
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (!keepToResend(event)) toast(document.body.dataset.offlineMessage, true);
  });
  window.addEventListener("online", sendAgain);
  setInterval(function () { if (unsent.length && navigator.onLine !== false) sendAgain(); }, 5000);
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status < 400) {
      var text = messageOf(xhr);
      if (text) toast(text, false);
    }
  });
})();
