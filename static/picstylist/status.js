// Live status: polls the status endpoint for every queued or running
// stylization on the page and updates it in place, without a reload.
(function () {
  "use strict";
  var container = document.querySelector("[data-status-url]");
  if (!container) return;
  var url = container.getAttribute("data-status-url");
  var POLL_MS = 2000;

  function pending() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-stylization]"),
      function (el) { var s = el.getAttribute("data-status"); return s === "queued" || s === "running"; }
    );
  }

  function setImage(el, role, src, alt) {
    var slot = el.querySelector('[data-role="' + role + '"]');
    if (!slot || !src) return;
    if (slot.tagName === "IMG") { slot.src = src; return; }
    var img = document.createElement("img");
    img.src = src;
    img.alt = alt;
    img.setAttribute("data-role", role);
    slot.replaceWith(img);
  }

  function update(el, info) {
    el.setAttribute("data-status", info.status);
    var status = el.querySelector('[data-role="status"]');
    if (status) { status.textContent = info.status_label; status.className = "status status-" + info.status; }
    var error = el.querySelector('[data-role="error"]');
    if (info.error) {
      if (!error) { error = document.createElement("span"); error.className = "error-text"; error.setAttribute("data-role", "error"); el.appendChild(error); }
      error.textContent = info.error;
      error.hidden = false;
    }
    if (info.status === "done") {
      setImage(el, "thumbnail", info.thumbnail, "Your stylized photo");
      setImage(el, "result", info.result, "Your stylized photo");
      var download = el.querySelector('[data-role="download"]');
      if (download) download.hidden = false;
    }
    if (info.status === "failed") {
      var result = el.querySelector('[data-role="result"]');
      if (result && result.tagName !== "IMG") result.textContent = "No result";
    }
  }

  function poll() {
    var els = pending();
    if (!els.length) return;
    var query = els.map(function (el) { return "id=" + encodeURIComponent(el.getAttribute("data-stylization")); }).join("&");
    fetch(url + "?" + query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { stylizations: {} }; })
      .then(function (data) {
        els.forEach(function (el) {
          var info = data.stylizations[el.getAttribute("data-stylization")];
          if (info) update(el, info);
        });
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .then(function () { if (pending().length) setTimeout(poll, POLL_MS); });
  }

  setTimeout(poll, POLL_MS);
})();
