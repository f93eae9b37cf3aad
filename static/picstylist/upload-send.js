// Sending the upload form ourselves, so that a progress bar shows while the photo travels: the
// server answers JSON, with the page to go to or the form's errors, which show under their controls.
import { say } from "./upload-messages.js";

/** A sender for form; errors is its errorBoxes. send() posts the form; busy() says whether it is on its way. */
export function uploader(form, errors) {
  const progressBox = form.querySelector('[data-role="progress-box"]');
  const progress = form.querySelector('[data-role="progress"]');
  const progressText = form.querySelector('[data-role="progress-text"]');
  const submit = form.querySelector('[data-role="submit"]');
  let uploading = false;

  window.addEventListener("beforeunload", (event) => {
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
    const request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action") || window.location.pathname);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      progress.value = percent;
      progressText.textContent = percent + " %";
    });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      uploading = false;
      if (data && data.redirect) { progressText.textContent = say("sent"); window.location.assign(data.redirect); return; }
      finish();
      if (data && data.errors) {
        const found = {};
        Object.keys(data.errors).forEach((name) => {
          found[name] = data.errors[name].map((error) => error.message);
        });
        errors.showAll(found);
        return;
      }
      const message = request.status === 413 ? say("send_too_large") : say("send_failed", { status: request.status });
      errors.focus(errors.show("__all__", [message]));
    });
    request.addEventListener("error", () => {
      finish();
      errors.focus(errors.show("__all__", [say("send_unreached")]));
    });
    uploading = true;
    submit.disabled = true;
    progress.value = 0;
    progressText.textContent = "0 %";
    progressBox.hidden = false;
    request.send(new FormData(form));
  }

  return { send, busy: () => uploading };
}
