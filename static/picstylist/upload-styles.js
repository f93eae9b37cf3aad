// The styles chosen, checked as the server checks them (gallery.forms.StylizationForm.clean):
// a style from the gallery or an own style image, not both, and a mix without a style twice.
import { say } from "./upload-messages.js";

/** {control name: [message]} for what is wrong with the styles chosen in form; {} if nothing. */
export function styleProblems(form, hasStyleImage) {
  const errors = {};
  const style = form.querySelector('input[name="style"]:checked');
  if (!style && !hasStyleImage) errors.style = [say("style_missing")];
  if (style && hasStyleImage) errors.__all__ = [say("style_and_image")];
  const seen = style ? [style.value] : [];
  ["second_style", "third_style"].forEach((name) => {
    const select = form.querySelector('select[name="' + name + '"]');
    if (!select || !select.value) return;
    if (seen.indexOf(select.value) !== -1) errors[name] = [say("style_twice_in_mix")];
    else seen.push(select.value);
  });
  return errors;
}
