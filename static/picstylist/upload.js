// The upload page: drag-and-drop, an immediate preview, checks before
// sending, a progress bar while sending, and the server's errors inline.
// Without this script the form still posts normally.
(function () {
  "use strict";
  var form = document.querySelector('[data-role="upload-form"]');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.querySelector('input[type="file"][name="photo"]');
  var zone = form.querySelector('[data-role="dropzone"]');
  var preview = form.querySelector('[data-role="preview"]');
  var info = form.querySelector('[data-role="file-info"]');
  var progressBox = form.querySelector('[data-role="progress-box"]');
  var progress = form.querySelector('[data-role="progress"]');
  var progressText = form.querySelector('[data-role="progress-text"]');
  var submit = form.querySelector('[data-role="submit"]');
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  // The formats the server decodes (stylizer.pipeline.ALLOWED_FORMATS).
  var EXTENSIONS = /\.(jpe?g|jfif|png|webp|gif|bmp|tiff?|heic|heif|mpo)$/i;
  var FORMATS = "Upload a JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF.";
  var objectUrl = null;

  function size(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  function showErrors(name, messages) {
    var box = form.querySelector('[data-errors-for="' + name + '"]');
    if (!box) box = form.querySelector('[data-errors-for="__all__"]');
    box.textContent = "";
    if (!messages || !messages.length) { box.hidden = true; return; }
    var list = document.createElement("ul");
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function clearErrors() {
    form.querySelectorAll("[data-errors-for]").forEach(function (box) { box.textContent = ""; box.hidden = true; });
  }

  // Problems we can tell before sending; the server checks everything again.
  function problemWith(file) {
    if (!file) return "Choose a photo to stylize.";
    if (file.size === 0) return "This file is empty.";
    if (maxBytes && file.size > maxBytes) return "This file is " + size(file.size) + "; the limit is " + size(maxBytes) + ".";
    var typeOk = /^image\//.test(file.type);
    if (!typeOk && !EXTENSIONS.test(file.name)) return "“" + file.name + "” is not an image we can read. " + FORMATS;
    return null;
  }

  function showFile(file) {
    if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; }
    preview.hidden = true;
    info.textContent = file ? file.name + ", " + size(file.size) : "";
    var problem = file ? problemWith(file) : null;
    showErrors("photo", problem ? [problem] : []);
    zone.classList.toggle("has-error", !!problem);
    if (!file || problem) return;
    objectUrl = URL.createObjectURL(file);
    preview.onload = function () { preview.hidden = false; info.textContent = file.name + ", " + size(file.size) + ", " + preview.naturalWidth + " × " + preview.naturalHeight + " px"; };
    preview.onerror = function () { preview.hidden = true; info.textContent = file.name + ", " + size(file.size) + " (this browser cannot preview it; we can still stylize it)"; };
    preview.src = objectUrl;
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

  function finish() {
    submit.disabled = false;
    progressBox.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var problem = problemWith(input.files[0]);
    if (problem) { showErrors("photo", [problem]); input.focus(); return; }
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
      if (data && data.redirect) { progressText.textContent = "100 %, done"; window.location.assign(data.redirect); return; }
      finish();
      if (data && data.errors) {
        Object.keys(data.errors).forEach(function (name) {
          showErrors(name, data.errors[name].map(function (error) { return error.message; }));
        });
        var first = form.querySelector("[data-errors-for]:not([hidden])");
        if (first) first.scrollIntoView({ block: "center" });
        return;
      }
      showErrors("__all__", [request.status === 413 ? "This file is too large to send." : "The upload failed (" + request.status + "). Please try again."]);
    });
    request.addEventListener("error", function () {
      finish();
      showErrors("__all__", ["The upload did not reach us. Check your connection and try again."]);
    });
    submit.disabled = true;
    progress.value = 0;
    progressText.textContent = "0 %";
    progressBox.hidden = false;
    request.send(new FormData(form));
  });
})();
