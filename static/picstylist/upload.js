// The upload page: drag-and-drop, an immediate preview, checks before
// sending, a progress bar while sending, and the server's errors inline.
// Without this script (an ES module: <script type="module">) the form still
// posts normally; the server checks everything again either way.
import { acceptDrops } from "./upload-drop.js";
import { checks, fileSize } from "./upload-checks.js";
import { errorBoxes } from "./upload-errors.js";
import { say } from "./upload-messages.js";
import { uploader } from "./upload-send.js";
import { videoFrame } from "./preview-images.js";
import { styleProblems } from "./upload-styles.js";

const form = document.querySelector('[data-role="upload-form"]');
if (form) start(form);

function start(form) {
  const input = form.querySelector('input[type="file"][name="photo"]');
  const zone = form.querySelector('[data-role="dropzone"]');
  const preview = form.querySelector('[data-role="preview"]');
  const info = form.querySelector('[data-role="file-info"]');
  const submit = form.querySelector('[data-role="submit"]');
  const styleInput = form.querySelector('input[type="file"][name="style_image"]');
  const limit = (name) => parseInt(form.getAttribute(name), 10) || 0;
  const check = checks({
    maxBytes: limit("data-max-bytes"),
    maxPixels: limit("data-max-pixels"),
    minSide: limit("data-min-side"),
    styleSide: limit("data-style-side"),
    maxClipBytes: limit("data-max-clip-bytes"),
    maxClipSeconds: parseFloat(form.getAttribute("data-max-clip-seconds")) || 0,
    clipLongSide: limit("data-clip-long-side"),
    clipShortSide: limit("data-clip-short-side"),
  });
  const errors = errorBoxes(form);
  const upload = uploader(form, errors);
  let objectUrl = null;
  let checked = null; // {file, promise of a problem message or null}
  let photoSize = null; // {file, width, height} of the photo previewed
  let notUsed = 0; // files dropped together with the one used

  // The photo previewed, at the output size chosen now (gallery.forms.photo_size_problem); else null.
  function photoFitProblem() {
    const control = form.querySelector('[name="max_side"]');
    const maxSide = control ? parseInt(control.value, 10) : 0;
    if (!photoSize || photoSize.clip || photoSize.file !== input.files[0] || !maxSide) return null;
    return check.photoFitProblem(photoSize.width, photoSize.height, maxSide);
  }

  function loadPreview(file) {
    return new Promise((resolve) => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(file);
      preview.onload = () => resolve({ width: preview.naturalWidth, height: preview.naturalHeight });
      preview.onerror = () => resolve(null);
      preview.src = objectUrl;
    });
  }

  // Everything we can tell before sending; resolves to a message or null.
  function inspect(file) {
    if (checked && checked.file === file) return checked.promise;
    preview.hidden = true;
    let promise;
    if (!file) promise = Promise.resolve(say("photo_missing"));
    else {
      promise = check.screen(file, true).then((found) => {
        if (found.problem) return found.problem;
        if (found.format === "VIDEO") return inspectClip(file);
        return loadPreview(file).then((dimensions) => {
          const facts = file.name + ", " + fileSize(file.size);
          if (!dimensions) {
            // Browsers show no HEIC or TIFF; the others they decode unless the file is damaged.
            if (found.format === "HEIF" || found.format === "TIFF") { setInfo(say("no_preview", { facts })); return null; }
            return say("damaged");
          }
          const problem = check.sizeProblem(dimensions.width, dimensions.height);
          if (problem) return problem;
          photoSize = { file, width: dimensions.width, height: dimensions.height };
          preview.hidden = false;
          setInfo(facts + ", " + dimensions.width + " × " + dimensions.height + " px");
          return null;
        });
      });
    }
    checked = { file, promise };
    return promise;
  }

  // A video: its middle frame previewed (the frame the worker measures the recipe on), its length and
  // size checked as the server will; a video this browser cannot play is left to the server.
  function inspectClip(file) {
    const facts = file.name + ", " + fileSize(file.size);
    return videoFrame(file).then((frame) => {
      const problem = check.clipProblem(frame);
      if (problem) { frame.bitmap.close(); return problem; }
      const canvas = document.createElement("canvas");
      canvas.width = frame.bitmap.width;
      canvas.height = frame.bitmap.height;
      canvas.getContext("2d").drawImage(frame.bitmap, 0, 0);
      frame.bitmap.close();
      return new Promise((resolve) => canvas.toBlob((blob) => {
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = URL.createObjectURL(blob);
        preview.src = objectUrl;
        preview.hidden = false;
        // A clip's size is checked against the clip limits (above), not against the photo's output size.
        photoSize = { file, width: frame.width, height: frame.height, clip: true };
        setInfo(say("clip_facts", { facts, width: frame.width, height: frame.height, seconds: frame.seconds.toFixed(1) }));
        resolve(null);
      }, "image/jpeg", 0.9));
    }, () => { setInfo(say("no_preview", { facts })); return null; });
  }

  function setInfo(text) {
    info.textContent = text + (text && notUsed ? say("not_used", { count: notUsed }) : "");
  }

  function showFile(file) {
    setInfo(file ? file.name + ", " + fileSize(file.size) : "");
    errors.show("photo", []);
    zone.classList.remove("has-error");
    if (!file) return;
    inspect(file).then((problem) => {
      if (input.files[0] !== file) return; // another file was picked meanwhile
      showPhotoProblem(problem || photoFitProblem());
    });
  }

  function showPhotoProblem(problem) {
    errors.show("photo", problem ? [problem] : []);
    zone.classList.toggle("has-error", !!problem);
    preview.hidden = !!problem || !photoSize || photoSize.file !== input.files[0];
  }

  input.addEventListener("change", () => { notUsed = 0; showFile(input.files[0]); });
  if (styleInput) {
    // A style from the gallery or an image of one's own, not both (as the server checks): choosing one
    // lets go of the other, so the live preview and what is sent stay the same.
    form.querySelectorAll('input[name="style"]').forEach((radio) => {
      radio.addEventListener("change", () => {
        if (radio.checked && styleInput.files.length) {
          styleInput.value = "";
          styleInput.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
    styleInput.addEventListener("change", () => {
      const file = styleInput.files[0];
      if (file) form.querySelectorAll('input[name="style"]:checked').forEach((radio) => { radio.checked = false; });
      errors.show("style_image", []);
      if (file) check.styleProblem(file).then((problem) => { if (styleInput.files[0] === file && problem) errors.show("style_image", [problem]); });
    });
  }
  // Changing a control clears the error shown under it.
  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name && name !== "photo" && name !== "style_image" && form.querySelector('[data-errors-for="' + name + '"]')) errors.show(name, []);
    // Another output size: the photo's fitted size changes with it.
    if (name === "max_side" && photoSize && photoSize.file === input.files[0]) {
      inspect(input.files[0]).then((problem) => { if (!problem) showPhotoProblem(photoFitProblem()); });
    }
  });
  acceptDrops(zone, input, (file, more) => { notUsed = more; showFile(file); });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (upload.busy()) return;
    errors.clear();
    submit.disabled = true;
    const styleFile = styleInput && styleInput.files[0];
    Promise.all([
      inspect(input.files[0]).then((problem) => problem || photoFitProblem()),
      styleFile ? check.styleProblem(styleFile) : null,
    ]).then((problems) => {
      submit.disabled = false;
      // The same checks and words as the server (gallery.forms.StylizationForm), before anything is sent.
      const found = styleProblems(form, !!styleFile);
      if (problems[0]) found.photo = [problems[0]];
      if (problems[1]) found.style_image = [problems[1]];
      if (!errors.showAll(found)) upload.send();
    });
  });
}
