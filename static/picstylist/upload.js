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
  var minSide = parseInt(form.getAttribute("data-min-side"), 10) || 0;
  var styleSide = parseInt(form.getAttribute("data-style-side"), 10) || 0;
  var styleInput = form.querySelector('input[type="file"][name="style_image"]');
  var FORMATS = "Upload a JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF.";
  var DAMAGED = "This image file is damaged or incomplete and cannot be read. Try saving it again, or another photo.";
  var objectUrl = null;
  var checked = null; // {file, promise of a problem message or null}
  var photoSize = null; // {file, width, height} of the photo previewed
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

  // Shows {name: [message, ...]} under each control and focuses the topmost; false if there were none.
  function showAllErrors(errors) {
    Object.keys(errors).forEach(function (name) { showErrors(name, errors[name]); });
    var first = form.querySelector("[data-errors-for]:not([hidden])");
    if (first) focusError(first);
    return !!first;
  }

  function focusError(box) {
    box.setAttribute("tabindex", "-1");
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  // The file's format from its first bytes, as the server decides it
  // (stylizer.pipeline.ALLOWED_FORMATS), with the size its header declares
  // where that is at a fixed place (PNG, GIF); null if it is none of them.
  function sniff(file) {
    return file.slice(0, 32).arrayBuffer().then(function (buffer) {
      var b = new Uint8Array(buffer);
      var view = new DataView(buffer);
      var text = String.fromCharCode.apply(null, b);
      function found(format, width, height) { return { format: format, width: width, height: height }; }
      if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return found("JPEG");
      if (text.slice(0, 8) === "\x89PNG\r\n\x1a\n") return b.length >= 24 ? found("PNG", view.getUint32(16), view.getUint32(20)) : found("PNG");
      if (text.slice(0, 4) === "GIF8") return b.length >= 10 ? found("GIF", view.getUint16(6, true), view.getUint16(8, true)) : found("GIF");
      if (text.slice(0, 4) === "RIFF" && text.slice(8, 12) === "WEBP") return found("WEBP");
      if (text.slice(0, 2) === "BM") return found("BMP");
      if (text.slice(0, 4) === "II*\x00" || text.slice(0, 4) === "MM\x00*") return found("TIFF");
      if (text.slice(4, 8) === "ftyp" && /^(heic|heix|heim|heis|hevc|hevx|mif1|msf1|avif)$/.test(text.slice(8, 12))) return found("HEIF");
      return null;
    });
  }

  // The same words as the server (gallery.forms.ImageUploadField) for a size it refuses, else null.
  function sizeProblem(width, height) {
    var pixels = width * height;
    if (maxPixels && pixels > maxPixels) {
      return "This image is " + width + " x " + height + " px (" + Math.round(pixels / 1e6) + " megapixels); the limit is " + Math.round(maxPixels / 1e6) + " megapixels.";
    }
    if (minSide && Math.min(width, height) < minSide) {
      return "This image is " + width + " x " + height + " px; it needs at least " + minSide + " px on each side.";
    }
    return null;
  }

  // Python's round() (halves to the even neighbour), as stylizer.pipeline.fitted_size rounds.
  function roundHalfEven(value) {
    var nearest = Math.round(value);
    return nearest - value === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
  }

  // [width, height] with the long side at most maxSide px, aspect ratio kept, never enlarged
  // (stylizer.pipeline.fitted_size).
  function fittedSize(width, height, maxSide) {
    var longSide = Math.max(width, height);
    if (longSide <= maxSide) return [width, height];
    var scale = maxSide / longSide;
    return [Math.max(1, roundHalfEven(width * scale)), Math.max(1, roundHalfEven(height * scale))];
  }

  // The same words as the server (gallery.forms.fitted_size_problem) for an image whose size once
  // fitted to maxSide px is under the minimum side, else null.
  function fittedSizeProblem(width, height, maxSide, image, result, advice) {
    if (!minSide || !maxSide) return null;
    var fitted = fittedSize(width, height, maxSide);
    if (Math.min(fitted[0], fitted[1]) >= minSide) return null;
    var limit = "at most " + Math.floor(maxSide / minSide) + ":1 at " + maxSide + " px";
    return "This " + image + " is " + width + " × " + height + " px; at " + maxSide + " px on its long side " +
      result + " would be " + fitted[0] + " × " + fitted[1] + " px, and each side needs at least " + minSide +
      " px. " + advice.replace("{limit}", limit) + ".";
  }

  // The photo previewed, at the output size chosen now (gallery.forms.photo_size_problem); else null.
  function photoFitProblem() {
    var control = form.querySelector('[name="max_side"]');
    var maxSide = control ? parseInt(control.value, 10) : 0;
    if (!photoSize || photoSize.file !== input.files[0] || !maxSide) return null;
    return fittedSizeProblem(photoSize.width, photoSize.height, maxSide, "photo", "the result",
      "Choose a larger output size or a less elongated photo ({limit})");
  }

  // The decoded size of an image file, or null where this browser cannot show it.
  function imageSize(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve({ width: image.naturalWidth, height: image.naturalHeight }); };
      image.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
      image.src = url;
    });
  }

  // A style image: its file, its size and its size once stored (gallery.forms.StyleImageField); a message or null.
  function styleProblem(file) {
    return screen(file).then(function (found) {
      if (found.problem) return found.problem;
      var size = found.width && found.height ? Promise.resolve(found) : imageSize(file);
      return size.then(function (dimensions) {
        if (!dimensions) return null; // the server tells
        return sizeProblem(dimensions.width, dimensions.height) ||
          fittedSizeProblem(dimensions.width, dimensions.height, styleSide, "style image", "the stored style",
            "Choose a less elongated image ({limit})");
      });
    });
  }

  // What a file's size and first bytes tell; resolves to {problem} or {format, width, height}.
  function screen(file) {
    if (file.size === 0) return Promise.resolve({ problem: "This file is empty." });
    if (maxBytes && file.size > maxBytes) return Promise.resolve({ problem: "This file is " + size(file.size) + "; the limit is " + size(maxBytes) + "." });
    return sniff(file).then(function (found) {
      if (!found) return { problem: "“" + file.name + "” is not an image we can read. " + FORMATS };
      if (found.width && found.height && maxPixels && found.width * found.height > maxPixels) return { problem: sizeProblem(found.width, found.height) };
      return found;
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
    else {
      promise = screen(file).then(function (found) {
        if (found.problem) return found.problem;
        return loadPreview(file).then(function (dimensions) {
          var facts = file.name + ", " + size(file.size);
          if (!dimensions) {
            // Browsers show no HEIC or TIFF; the others they decode unless the file is damaged.
            if (found.format === "HEIF" || found.format === "TIFF") { setInfo(facts + " (no preview in this browser; it is checked when you send it)"); return null; }
            return DAMAGED;
          }
          var problem = sizeProblem(dimensions.width, dimensions.height);
          if (problem) return problem;
          photoSize = { file: file, width: dimensions.width, height: dimensions.height };
          preview.hidden = false;
          setInfo(facts + ", " + dimensions.width + " × " + dimensions.height + " px");
          return null;
        });
      });
    }
    checked = { file: file, promise: promise };
    return promise;
  }

  var notUsed = 0; // files dropped together with the one used

  function setInfo(text) {
    info.textContent = text + (text && notUsed ? " (one photo at a time: " + notUsed + " more not used)" : "");
  }

  function showFile(file) {
    setInfo(file ? file.name + ", " + size(file.size) : "");
    showErrors("photo", []);
    zone.classList.remove("has-error");
    if (!file) return;
    inspect(file).then(function (problem) {
      if (input.files[0] !== file) return; // another file was picked meanwhile
      showPhotoProblem(problem || photoFitProblem());
    });
  }

  function showPhotoProblem(problem) {
    showErrors("photo", problem ? [problem] : []);
    zone.classList.toggle("has-error", !!problem);
    preview.hidden = !!problem || !photoSize || photoSize.file !== input.files[0];
  }

  input.addEventListener("change", function () { notUsed = 0; showFile(input.files[0]); });
  if (styleInput) {
    styleInput.addEventListener("change", function () {
      var file = styleInput.files[0];
      showErrors("style_image", []);
      if (file) styleProblem(file).then(function (problem) { if (styleInput.files[0] === file && problem) showErrors("style_image", [problem]); });
    });
  }
  // Changing a control clears the error shown under it.
  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name && name !== "photo" && name !== "style_image" && form.querySelector('[data-errors-for="' + name + '"]')) showErrors(name, []);
    // Another output size: the photo's fitted size changes with it.
    if (name === "max_side" && photoSize && photoSize.file === input.files[0]) {
      inspect(input.files[0]).then(function (problem) { if (!problem) showPhotoProblem(photoFitProblem()); });
    }
  });

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
    // One photo at a time: the first one dropped is the one previewed and sent.
    var first = new DataTransfer();
    first.items.add(files[0]);
    input.files = first.files;
    notUsed = files.length - 1;
    showFile(files[0]);
  });
  // A file dropped beside the drop zone must not make the browser leave the page (and the form) to show it.
  ["dragover", "drop"].forEach(function (type) {
    window.addEventListener(type, function (event) {
      var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types || []) : [];
      if (types.indexOf("Files") !== -1 && !zone.contains(event.target)) event.preventDefault();
    });
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
        var errors = {};
        Object.keys(data.errors).forEach(function (name) {
          errors[name] = data.errors[name].map(function (error) { return error.message; });
        });
        showAllErrors(errors);
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
    var styleFile = styleInput && styleInput.files[0];
    Promise.all([
      inspect(input.files[0]).then(function (problem) { return problem || photoFitProblem(); }),
      styleFile ? styleProblem(styleFile) : null,
    ]).then(function (problems) {
      submit.disabled = false;
      // The same checks and words as the server (gallery.forms.StylizationForm), before anything is sent.
      var errors = {};
      if (problems[0]) errors.photo = [problems[0]];
      if (problems[1]) errors.style_image = [problems[1]];
      var style = form.querySelector('input[name="style"]:checked');
      if (!style && !styleFile) errors.style = ["Pick a style or upload your own style image."];
      if (style && styleFile) errors.__all__ = ["Pick a style from the gallery or upload your own style image, not both."];
      var seen = style ? [style.value] : [];
      ["second_style", "third_style"].forEach(function (name) {
        var select = form.querySelector('select[name="' + name + '"]');
        if (!select || !select.value) return;
        if (seen.indexOf(select.value) !== -1) errors[name] = ["Pick different styles to mix: this one is already in the mix."];
        else seen.push(select.value);
      });
      if (!showAllErrors(errors)) send();
    });
  });
})();
