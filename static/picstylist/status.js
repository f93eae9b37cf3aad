// Live status: polls the status endpoint for every queued or running
// stylization on the page and updates it in place, without a reload: the
// place in the queue and the estimated wait, then the result as soon as it
// is ready.
(function () {
  "use strict";
  var container = document.querySelector("[data-status-url]");
  if (!container) return;
  var url = container.getAttribute("data-status-url");
  var POLL_MS = 1000;
  // What the placeholder says until the result arrives (as templates/gallery/_waiting_text.html).
  var WAITING_TEXT = { queued: "Waiting in line…", running: "Painting your photo…", failed: "No result", cancelled: "Cancelled" };

  function pending() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-stylization]"),
      function (el) { var s = el.getAttribute("data-status"); return s === "queued" || s === "running"; }
    );
  }

  function role(el, name) { return el.querySelector('[data-role="' + name + '"]'); }

  function ordinal(n) {
    var tens = n % 100, ones = n % 10;
    if (tens >= 11 && tens <= 13) return n + "th";
    return n + (ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th");
  }

  function duration(seconds) {
    if (seconds < 1.5) return "a second";
    if (seconds < 90) return Math.round(seconds) + " s";
    return Math.round(seconds / 60) + " min";
  }

  // Past its estimate by this much, a wait is said to be taking longer than expected
  // (a worker busy with a big job, or stalled) rather than promising the same few seconds:
  // settings.STYLIZATION_LATE_AFTER_SECONDS, in the page (10 s, that setting's default, if not).
  var lateAfter = parseFloat(container.getAttribute("data-late-after-seconds"));
  var LATE_MS = (lateAfter >= 0 ? lateAfter : 10) * 1000;

  // When the wait shown for this place in line (or this run) should be over, in ms since the epoch.
  function expectedBy(el, info) {
    var key = info.status + ":" + info.position;
    if (el.__expected && el.__expected.key === key) return el.__expected.at;
    el.__expected = { key: key, at: Date.now() + Math.max(0, info.eta_seconds) * 1000 };
    return el.__expected.at;
  }

  // eta_seconds is null until some stylization has finished: then no wait is guessed.
  function queueText(el, info) {
    var known = typeof info.eta_seconds === "number";
    var late = known && Date.now() > expectedBy(el, info) + LATE_MS;
    if (info.status === "queued" && info.position) {
      var place = info.position === 1 ? "next in line" : ordinal(info.position) + " in line";
      if (!known) return place;
      return place + (late ? ", taking longer than expected" : ", ready in about " + duration(info.eta_seconds));
    }
    if (info.status === "running" && info.cancelling) return "stopping…";
    if (info.status === "running" && info.frames_total) {
      var frames = "frame " + info.frames_done + " of " + info.frames_total;
      if (!known) return "painting, " + frames;
      if (late) return "painting, " + frames + ", taking longer than expected";
      return "painting, " + frames + (info.eta_seconds > 0 ? ", about " + duration(info.eta_seconds) + " left" : ", almost there");
    }
    if (info.status === "running") {
      if (!known) return "painting…";
      if (late) return "painting, taking longer than expected";
      return info.eta_seconds > 0 ? "painting, about " + duration(info.eta_seconds) + " left" : "painting, almost there";
    }
    return "";
  }

  // Sets an image's source (replacing a placeholder where there is one) and
  // returns the <img>, or null where the page has no such slot.
  function setImage(el, name, src, alt) {
    var slot = role(el, name);
    if (!slot || !src) return null;
    if (slot.tagName === "IMG") { slot.src = src; return slot; }
    var img = document.createElement("img");
    img.src = src;
    img.alt = alt;
    img.setAttribute("data-role", name);
    slot.replaceWith(img);
    return img;
  }

  // Resolves once the image has arrived (or failed to), so a result is shown
  // whole rather than painting in line by line over the placeholder.
  function arrived(img) {
    // A lazy image off screen may never load: do not wait for it.
    if (!img || img.loading === "lazy" || (img.complete && img.naturalWidth)) return Promise.resolve();
    return new Promise(function (resolve) {
      img.addEventListener("load", resolve, { once: true });
      img.addEventListener("error", resolve, { once: true });
    });
  }

  function show(el, name, visible) {
    el.querySelectorAll('[data-role="' + name + '"]').forEach(function (node) { node.hidden = !visible; });
  }

  function label(el, info) {
    var status = role(el, "status");
    if (status) { status.textContent = info.status_label; status.className = "status status-" + info.status; }
    var queue = role(el, "queue");
    if (queue) queue.textContent = queueText(el, info);
  }

  function update(el, info) {
    el.setAttribute("data-status", info.status);
    var error = role(el, "error");
    if (info.error) {
      if (!error) { error = document.createElement("span"); error.className = "error-text"; error.setAttribute("data-role", "error"); el.appendChild(error); }
      error.textContent = info.error;
      error.hidden = false;
    }
    if (info.status !== "queued" && info.status !== "running") show(el, "pending-only", false);
    // A finished clip on its own page: the page plays it (a <video> or an animation), so load it afresh.
    if (info.status === "done" && info.kind && info.kind !== "image" && el.classList.contains("detail")) {
      window.location.reload();
      return;
    }
    if (info.status !== "done") {
      label(el, info);
      var waiting = role(el, "waiting-text") || role(el, "thumbnail");
      var text = info.status === "running" && info.kind && info.kind !== "image" ? "Painting your clip…" : WAITING_TEXT[info.status];
      if (waiting && waiting.tagName !== "IMG") waiting.textContent = text || "";
      return;
    }
    // Done: "Done" and the result appear together, once its images have arrived.
    var images = [
      setImage(el, "thumbnail", info.thumbnail, "Your stylized photo"),
      setImage(el, "result", info.result, "Your stylized photo"),
      setImage(el, "before", info.preview, "The photo before stylization"),
    ];
    Promise.all(images.map(arrived)).then(function () {
      label(el, info);
      var seconds = role(el, "seconds");
      if (seconds && info.seconds) seconds.textContent = "in " + info.seconds.toFixed(1) + " s";
      show(el, "compare", true);
      show(el, "waiting", false);
      show(el, "download", true);
      show(el, "done-only", true);
    });
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

  poll();
})();
