// The errors under each control of a form (its [data-errors-for] boxes), whether the page
// found them or the server sent them, and the focus on the topmost.

export function errorBoxes(form) {
  function focus(box) {
    box.setAttribute("tabindex", "-1");
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  // Shows messages (none: hides) under the control called name, or the form's own box; returns the box.
  function show(name, messages) {
    const box = form.querySelector('[data-errors-for="' + name + '"]') || form.querySelector('[data-errors-for="__all__"]');
    box.textContent = "";
    if (!messages || !messages.length) { box.hidden = true; return box; }
    const list = document.createElement("ul");
    messages.forEach((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
    // A control's error unfolds the style controls and shows the control, even one a mix had hidden.
    const details = box.closest("details");
    if (details) details.open = true;
    const field = box.closest(".field[hidden]");
    if (field) field.hidden = false;
    return box;
  }

  function clear() {
    form.querySelectorAll("[data-errors-for]").forEach((box) => { box.textContent = ""; box.hidden = true; });
  }

  // Shows {name: [message, ...]} under each control and focuses the topmost; false if there were none.
  function showAll(errors) {
    Object.keys(errors).forEach((name) => show(name, errors[name]));
    const first = form.querySelector("[data-errors-for]:not([hidden])");
    if (first) focus(first);
    return !!first;
  }

  return { show, clear, showAll, focus };
}
