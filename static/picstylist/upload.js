// The upload page: drag-and-drop, an immediate preview, checks before
// sending, a progress bar while sending, and the server's errors inline.
// Without this script the form still posts normally; the server checks
// everything again either way.
(function () {
  "use strict";
  var form = document.querySelector('[data-role="upload-form"]');
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.Promise) return;
  var input = form.querySelector('input[type="file"][name="photo"]');
  var zone = form.querySelector('[data-role="dropzone"]');
  var preview = form.querySelector('[data-role="preview"]');
  var info = form.querySelector('[data-role="file-info"]');
  var progressBox = form.querySelector('[data-role="progress-box"]');
  var progress = form.querySelector('[data-role="progress"]');
  var progressText = form.querySelector('[data-role="progress-text"]');
  var submit = form.querySelector('[data-role="submit"]');
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var maxPixels = parseInt(form.getAttribute("data-max-pixels"), 10) || 0;
  var FORMATS = "Upload a JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF.";
  var DAMAGED = "This image file is damaged or incomplete and cannot be read. Try saving it again, or another photo.";
  var objectUrl = null;
  var checked = null; // {file, promise of a problem message or null}
  var uploading = false;

  function size(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  function showErrors(name, messages) {
    var box = form.querySelector('[data-errors-for="' + name + '"]') || form.querySelector('[data-errors-for="__all__"]');
    box.textContent = "";
    if (!messages || !messages.length) { box.hidden = true; return box; }
    var list = document.createElement("ul");
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
    // A control's error unfolds the style controls and shows the control, even one a mix had hidden.
    var details = box.closest("details");
    if (details) details.open = true;
    var field = box.closest(".field[hidden]");
    if (field) field.hidden = false;
    return box;
  }

  function clearErrors() {
    form.querySelectorAll("[data-errors-for]").forEach(function (box) { box.textContent = ""; box.hidden = true; });
  }

  function focusError(box) {
    box.setAttribute("tabindex", "-1");
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  // The file's format from its first bytes, as the server decides it
  // (stylizer.pipeline.ALLOWED_FORMATS); null if it is none of them.
  function sniff(file) {
    return file.slice(0, 16).arrayBuffer().then(function (buffer) {
      var b = new Uint8Array(buffer);
      var text = String.fromCharCode.apply(null, b);
      if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "JPEG";
      if (text.slice(0, 8) === "\x89PNG\r\n\x1a\n") return "PNG";
      if (text.slice(0, 4) === "GIF8") return "GIF";
      if (text.slice(0, 4) === "RIFF" && text.slice(8, 12) === "WEBP") return "WEBP";
      if (text.slice(0, 2) === "BM") return "BMP";
      if (text.slice(0, 4) === "II*\x00" || text.slice(0, 4) === "MM\x00*") return "TIFF";
      if (text.slice(4, 8) === "ftyp" && /^(heic|heix|heim|heis|hevc|hevx|mif1|msf1|avif)$/.test(text.slice(8, 12))) return "HEIF";
      return null;
    });
  }

  function loadPreview(file) {
    return new Promise(function (resolve) {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(file);
      preview.onload = function () { resolve({ width: preview.naturalWidth, height: preview.naturalHeight }); };
      preview.onerror = function () { resolve(null); };
      preview.src = objectUrl;
    });
  }

  // Everything we can tell before sending; resolves to a message or null.
  function inspect(file) {
    if (checked && checked.file === file) return checked.promise;
    preview.hidden = true;
    var promise;
    if (!file) promise = Promise.resolve("Choose a photo to stylize.");
    else if (file.size === 0) promise = Promise.resolve("This file is empty.");
    else if (maxBytes && file.size > maxBytes) promise = Promise.resolve("This file is " + size(file.size) + "; the limit is " + size(maxBytes) + ".");
    else {
      promise = sniff(file).then(function (format) {
        if (!format) return "“" + file.name + "” is not an image we can read. " + FORMATS;
        return loadPreview(file).then(function (dimensions) {
          var facts = file.name + ", " + size(file.size);
          if (!dimensions) {
            // Browsers show no HEIC or TIFF; the others they decode unless the file is damaged.
            if (format === "HEIF" || format === "TIFF") { info.textContent = facts + " (no preview in this browser; it is checked when you send it)"; return null; }
            return DAMAGED;
          }
          var pixels = dimensions.width * dimensions.height;
          if (maxPixels && pixels > maxPixels) {
            return "This image is " + dimensions.width + " x " + dimensions.height + " px (" + Math.round(pixels / 1e6) + " megapixels); the limit is " + Math.round(maxPixels / 1e6) + " megapixels.";
          }
          preview.hidden = false;
          info.textContent = facts + ", " + dimensions.width + " × " + dimensions.height + " px";
          return null;
        });
      });
    }
    checked = { file: file, promise: promise };
    return promise;
  }

  function showFile(file) {
    info.textContent = file ? file.name + ", " + size(file.size) : "";
    showErrors("photo", []);
    zone.classList.remove("has-error");
    if (!file) return;
    inspect(file).then(function (problem) {
      if (input.files[0] !== file) return; // another file was picked meanwhile
      showErrors("photo", problem ? [problem] : []);
      zone.classList.toggle("has-error", !!problem);
      if (problem) preview.hidden = true;
    });
  }

  input.addEventListener("change", function () { showFile(input.files[0]); });

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    input.files = files;
    showFile(files[0]);
  });

  window.addEventListener("beforeunload", function (event) {
    if (!uploading) return;
    event.preventDefault();
    event.returnValue = ""; // the browser asks "Leave site?" while the photo is still being sent
  });

  function finish() {
    uploading = false;
    submit.disabled = false;
    progressBox.hidden = true;
  }

  function send() {
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action") || window.location.pathname);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      progress.value = percent;
      progressText.textContent = percent + " %";
    });
    request.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      uploading = false;
      if (data && data.redirect) { progressText.textContent = "100 %, done"; window.location.assign(data.redirect); return; }
      finish();
      if (data && data.errors) {
        var first = null;
        Object.keys(data.errors).forEach(function (name) {
          var box = showErrors(name, data.errors[name].map(function (error) { return error.message; }));
          if (!first) first = box;
        });
        if (first) focusError(first);
        return;
      }
      focusError(showErrors("__all__", [request.status === 413 ? "This file is too large to send." : "The upload failed (" + request.status + "). Please try again."]));
    });
    request.addEventListener("error", function () {
      finish();
      focusError(showErrors("__all__", ["The upload did not reach us. Check your connection and try again."]));
    });
    uploading = true;
    submit.disabled = true;
    progress.value = 0;
    progressText.textContent = "0 %";
    progressBox.hidden = false;
    request.send(new FormData(form));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (uploading) return;
    clearErrors();
    submit.disabled = true;
    inspect(input.files[0]).then(function (problem) {
      submit.disabled = false;
      if (problem) { focusError(showErrors("photo", [problem])); return; }
      send();
    });
  });
})();
