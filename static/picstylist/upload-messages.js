// The upload page's words. They are written once, on the server (gallery/messages.py), which
// puts them in the page as JSON (<script id="upload-messages" type="application/json">);
// say() fills a text's {placeholders}, as Python's str.format does on the server.
const element = document.getElementById("upload-messages");

/** The texts by name: strings, and for the fitted-size checks {image, result, advice} kinds. */
export const texts = element ? JSON.parse(element.textContent) : {};

/** template with each {name} replaced by values[name] (those not given are left as they are). */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
}

/** The text called name, filled with values. */
export function say(name, values) {
  const text = texts[name];
  if (typeof text !== "string") throw new Error("No upload message called " + name);
  return fill(text, values);
}
