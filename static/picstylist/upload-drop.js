// Dropping files on the drop zone: one photo at a time, the first one dropped becomes the file
// input's file. A file dropped beside the zone does not make the browser leave the page to show it.

/** Calls onDrop(file, notUsed) with the first file dropped on zone, now input's file, and how many more were dropped. */
export function acceptDrops(zone, input, onDrop) {
  ["dragenter", "dragover"].forEach((type) => {
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "dragend"].forEach((type) => {
    zone.addEventListener(type, () => { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    // One photo at a time: the first one dropped is the one previewed and sent.
    const first = new DataTransfer();
    first.items.add(files[0]);
    input.files = first.files;
    input.dispatchEvent(new Event("picstylist:photo")); // for the live preview (preview.js)
    onDrop(files[0], files.length - 1);
  });
  // A file dropped beside the drop zone must not make the browser leave the page (and the form) to show it.
  ["dragover", "drop"].forEach((type) => {
    window.addEventListener(type, (event) => {
      const types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types || []) : [];
      if (types.indexOf("Files") !== -1 && !zone.contains(event.target)) event.preventDefault();
    });
  });
}
