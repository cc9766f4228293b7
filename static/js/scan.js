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
  function deliver(form, code) {
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
