/* Signature pad of the on-site record: draw with a finger or a mouse on the canvas; the
   drawing is sent as a PNG data URL in the hidden "signature" field. The canvas keeps its
   drawing resolution and scales to the form's width (390 px phones). */
(function () {
  "use strict";
  function initPad(pad) {
    if (pad.dataset.ready) { return; }
    pad.dataset.ready = "1";
    var canvas = pad.querySelector("canvas"), out = pad.querySelector("input[name=signature]");
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";
    function pos(ev) {
      var r = canvas.getBoundingClientRect();
      return [(ev.clientX - r.left) * canvas.width / r.width,
              (ev.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault(); drawing = true; canvas.setPointerCapture(ev.pointerId);
      var p = pos(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) { return; }
      ev.preventDefault(); var p = pos(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    function end() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { out.value = canvas.toDataURL("image/png"); }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    pad.querySelector(".signature-clear").addEventListener("click", function (ev) {
      ev.preventDefault(); ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false; out.value = "";
    });
  }
  function init() { document.querySelectorAll(".signature-pad").forEach(initPad); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
  document.addEventListener("htmx:afterSwap", init);
})();
