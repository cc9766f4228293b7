// Signature pads: draw with finger, pen or mouse on <canvas data-signature-for="ID">;
// the PNG goes into the hidden input #ID when the form is sent.
(function () {
  "use strict";
  function setUp(canvas) {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    var input = document.getElementById(canvas.dataset.signatureFor);
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#000";
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; canvas.setPointerCapture(event.pointerId);
      var p = point(event); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        drawing = false;
        if (drawn && input) input.value = canvas.toDataURL("image/png");
      });
    });
    // a refused form comes back with the signature already drawn: show it, keep it
    if (input && input.value.indexOf("data:image/png;base64,") === 0) {
      var drawnBefore = new Image();
      drawnBefore.onload = function () { ctx.drawImage(drawnBefore, 0, 0); drawn = true; };
      drawnBefore.src = input.value;
    }
    var clear = canvas.parentElement.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; if (input) input.value = "";
    });
  }
  function scan(root) { (root || document).querySelectorAll("canvas[data-signature-for]").forEach(setUp); }
  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
