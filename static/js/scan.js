// The one scan box: a USB scanner types the code and Enter into the input by itself.
// The camera button reads a QR label: live with the BarcodeDetector where the page is
// secure (HTTPS or localhost), otherwise from a photo decoded here with jsQR (loaded only
// when needed, so ordinary pages stay small).
(function () {
  "use strict";
  var jsqrLoading = null;
  function loadJsQR(src) {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsqrLoading) {
      jsqrLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return jsqrLoading;
  }
  function say(box, text) {
    var status = box.querySelector("[data-scan-status]");
    if (status) status.textContent = text || "";
  }
  // A USB scanner types a tag and its Enter in a few milliseconds, and the next tag right
  // after. A scan box that adds to a list (hx-post) therefore takes each Enter's tag into
  // a queue and empties itself at once, so the next tag starts in a clean box; the queue
  // goes to the server one tag at a time, in order, each sent with the list the answer to
  // the one before left on the page, so no answer overwrites a newer list and nothing is
  // dropped while a request is in flight.
  function queued(form) {
    if (form.scanQueue) return form.scanQueue;
    var typed = form.querySelector("input[name=tag]");
    if (!typed || !form.hasAttribute("data-hx-post")) return null;
    var sent = document.createElement("input");
    sent.type = "hidden";
    sent.name = "tag";
    typed.removeAttribute("name");  // what is being typed is not what is being sent
    form.appendChild(sent);
    form.scanQueue = { waiting: [], busy: false, typed: typed, sent: sent };
    return form.scanQueue;
  }
  function pump(form) {
    var queue = form.scanQueue;
    if (!queue || queue.busy || !queue.waiting.length) return;
    queue.busy = true;
    // not from inside the submit event that queued it: a form ignores requestSubmit()
    // while its submit event is still being dispatched
    setTimeout(function () {
      queue.sent.value = queue.waiting.shift();
      form.scanSending = true;
      try { form.requestSubmit(); } finally { form.scanSending = false; }
    }, 0);
  }
  function enqueue(form, code) {
    var queue = queued(form);
    code = (code || "").trim();
    if (!queue || !code) return false;
    queue.waiting.push(code);
    pump(form);
    return true;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-scan-form][data-hx-post]") || form.scanSending) return;
    var queue = queued(form);
    if (!queue) return;
    event.preventDefault();
    event.stopImmediatePropagation();  // htmx sends only what the queue hands it
    enqueue(form, queue.typed.value);
    queue.typed.value = "";
    queue.typed.focus();
  }, true);
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.scanQueue) { form.scanQueue.busy = false; pump(form); }
  });
  function deliver(form, code) {
    if (enqueue(form, code)) return;
    var input = form.querySelector("input[name=tag], input[name=code]");
    if (!input) return;
    input.value = code.trim();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }
  function decodePhoto(form, box, file) {
    say(box, box.dataset.readingText);
    loadJsQR(box.dataset.jsqr).then(function (jsQR) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1280 / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        var ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        var data = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var found = jsQR(data.data, data.width, data.height, { inversionAttempts: "attemptBoth" });
        if (found && found.data) { say(box, ""); deliver(form, found.data); }
        else say(box, box.dataset.notFoundText);
      };
      img.src = url;
    }).catch(function () { say(box, box.dataset.notFoundText); });
  }
  function liveScan(form, box) {
    var video = box.querySelector("video");
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "ean_13"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      var timer = setInterval(function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            clearInterval(timer);
            stream.getTracks().forEach(function (t) { t.stop(); });
            video.hidden = true;
            deliver(form, codes[0].rawValue);
          }
        }).catch(function () {});
      }, 300);
    }).catch(function () { box.querySelector("input[type=file]").click(); });
  }
  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var form = box.closest("form");
    var photo = box.querySelector("input[type=file]");
    box.querySelector("[data-scan-camera]").addEventListener("click", function () {
      if (window.isSecureContext && "BarcodeDetector" in window && navigator.mediaDevices) liveScan(form, box);
      else photo.click();
    });
    photo.addEventListener("change", function () {
      if (photo.files && photo.files[0]) decodePhoto(form, box, photo.files[0]);
      photo.value = "";
    });
  }
  function scan(root) { (root || document).querySelectorAll("[data-scan-camera-box]").forEach(setUp); }
  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
