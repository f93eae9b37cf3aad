// The live preview on the new-stylization and restyle pages: once a photo and a style are chosen, the
// current recipe (styles and weights, strength, brush, colours, output size) painted in the page by the
// same style transfer network the worker runs, redrawn after every change of a control. Nothing is sent
// to the server for it but the styles' cached bottlenecks (once per style). Steps as stylizer.painting.paint:
// the network runs at the brush's working size; the result is shown PREVIEW_SIDE px on its long side.
// Without JavaScript, WebAssembly or the networks the page works as before, with a one-line note.
import { centerSquare, decode, draw, fitted, imageSize, isVideo } from "./preview-images.js";
import { blend, blendWeight, fittedSize, lanczosResize, meanDifference, mixBottlenecks, mixColors, sizeForLongSide } from "./preview-math.js";
import { canRun, loadNetworks } from "./preview-network.js";
import { mixKey, readRecipe, styleBottlenecks } from "./preview-recipe.js";

/** Working sides up to this many times the probe side measure the strength's blend weight themselves. */
const PROBE_STAND_IN = 1.1;

const figure = document.querySelector("[data-live-preview]");
const configElement = document.getElementById("preview-config");
if (figure && configElement) start(figure, JSON.parse(configElement.textContent));

function start(figure, config) {
  const form = figure.closest("form");
  const canvas = figure.querySelector("canvas");
  const note = figure.querySelector("[data-role='preview-note']");
  const say = (text) => { note.textContent = text; };
  if (!config.enabled) return say(config.words.engine);
  if (!canRun()) return say(config.words.no_wasm);

  let networks = null;
  let styleBottleneck = null;
  const cache = new Map(); // key -> promise; a few entries, dropped when the photo changes
  const remember = (key, make) => {
    if (!cache.has(key)) cache.set(key, make().catch((error) => { cache.delete(key); throw error; }));
    return cache.get(key);
  };
  // Paintings kept for going back to a recipe at once (each is a preview-size image).
  function forgetOldPaintings(keep = 32) {
    const painted = [...cache.keys()].filter((key) => key.startsWith("painted:"));
    painted.slice(0, Math.max(0, painted.length - keep)).forEach((key) => cache.delete(key));
  }
  let photo = null; // {key, bitmap}
  let photoProblem = null; // why the photo chosen has no preview, or null
  let photoCount = 0;
  let changedAt = 0;
  let busy = false;
  let pending = false;

  async function render(r) {
    // A clip's output size is the clip size control's; its middle frame stands for it (stylizer.clip_render).
    const side = photo.clip ? r.clipSide : r.maxSide;
    const [width, height] = fittedSize(photo.bitmap.width, photo.bitmap.height, side);
    const [workWidth, workHeight] = sizeForLongSide(width, height, config.brush_sides[r.brush]);
    const [shownWidth, shownHeight] = fittedSize(width, height, config.preview_side);
    const at = photo.key + ":" + side;
    // The photo at the output size, then at the working size and the preview's (as the worker resamples it).
    const output = await remember(at, () => fitted(photo.bitmap, width, height));
    const shown = await remember(at + ":shown", async () => lanczosResize(output, shownWidth, shownHeight));
    if (r.strength <= 0) return shown;
    const workPhoto = await remember(at + ":" + r.brush, async () => lanczosResize(output, workWidth, workHeight));
    const bottlenecks = await Promise.all(r.styles.map(styleBottleneck));
    const content = r.strength < 1
      ? await remember(at + ":bottleneck", async () => {
        const bitmap = await decode(output);
        try { return await networks.bottleneck(await centerSquare(bitmap)); } finally { bitmap.close(); }
      })
      : null;
    const mix = mixKey(r);
    const partial = mixBottlenecks(bottlenecks, r.weights, content, r.strength);
    const key = "painted:" + at + ":" + r.brush + ":" + mix + ":" + r.strength;
    const [probeWidth, probeHeight] = sizeForLongSide(workWidth, workHeight, config.probe_side);
    // Where the working size is the probe's (the bold brush), the working-size paintings stand in for the
    // worker's probe runs: the same blend weight to 0.003 (benchmarks/RESULTS.md), one network run saved.
    const near = Math.max(workWidth, workHeight) <= PROBE_STAND_IN * config.probe_side;
    const probe = () => remember(at + ":" + r.brush + ":probe", async () => lanczosResize(workPhoto, probeWidth, probeHeight));
    const fullKey = at + ":" + r.brush + ":" + mix + ":full";
    // How far a painting is from the photo, on copies at the probe side (painting.blend_weight).
    const change = async (bottleneck, painting = null) => near
      ? meanDifference(lanczosResize(painting || (await networks.transfer(workPhoto, bottleneck)), probeWidth, probeHeight), await probe())
      : meanDifference(await networks.transfer(await probe(), bottleneck), await probe());
    const { painted, alpha } = await remember(key, async () => {
      const work = await networks.transfer(workPhoto, partial);
      let weight = 1;
      if (r.strength < 1) {
        const fullChange = await remember(fullKey, () => change(mixBottlenecks(bottlenecks, r.weights, null, 1)));
        weight = blendWeight(r.strength, fullChange, await change(partial, work));
      } else if (near) {
        remember(fullKey, () => change(partial, work)); // the full strength's change, for the strengths to come
      }
      return { painted: lanczosResize(work, shownWidth, shownHeight), alpha: weight };
    });
    forgetOldPaintings();
    return blend(shown, mixColors(shown, painted, r.colors), alpha);
  }

  async function loop() {
    busy = true;
    while (pending && !sending) {
      pending = false;
      const since = changedAt;
      const r = readRecipe(form, config);
      if (!photo || !r.styles.length) {
        figure.dataset.state = "waiting";
        canvas.hidden = true;
        say(photoProblem || config.words.choose);
        continue;
      }
      figure.dataset.state = "rendering";
      try {
        if (!networks) {
          say(config.words.loading);
          networks = await loadNetworks(config);
          figure.dataset.threads = String(networks.threads);
          figure.dataset.proxy = String(networks.proxy);
          styleBottleneck = styleBottlenecks(config, networks);
        }
        const image = await render(r);
        if (pending) continue; // a newer change came in meanwhile: draw that one instead
        draw(canvas, image);
        canvas.hidden = false;
        figure.dataset.renderedMs = String(Math.round(performance.now() - since));
        figure.dataset.recipe = JSON.stringify({ ...r, styles: r.styles.map((s) => (s instanceof File ? "own" : s)) });
        figure.dataset.renderSeq = String((parseInt(figure.dataset.renderSeq, 10) || 0) + 1);
        figure.dataset.state = "drawn";
        say(config.words.drawn);
      } catch (error) {
        figure.dataset.state = "failed";
        canvas.hidden = true;
        say(error && error.styleImage ? config.words.no_style : config.words.failed);
        console.error("live preview:", error);
        if (!networks) { busy = false; return; } // the runtime or a network did not load: no preview here
      }
    }
    busy = false;
  }

  // Once the form is sent, no new work: the page's one thread (or its cores) go to sending it. A change
  // after that (the form came back with an error) starts the preview again.
  let sending = false;
  form.addEventListener("submit", () => { sending = true; });

  function changed() {
    sending = false;
    changedAt = performance.now();
    pending = true;
    if (!busy) loop();
  }

  async function usePhoto(source, clip = isVideo(source)) {
    const count = ++photoCount;
    photo = null;
    photoProblem = null;
    cache.clear();
    if (!source) return changed();
    try {
      // Over the form's pixel limit: never decoded here (a 400-megapixel PNG needs 1.6 GB).
      const size = await imageSize(source);
      if (size && size.width * size.height > config.max_pixels) throw new RangeError("over the pixel limit");
      const bitmap = await decode(source);
      if (count !== photoCount) return bitmap.close();
      photo = { key: "photo" + count, bitmap, clip };
    } catch (error) {
      // A file the browser does not decode (HEIC, TIFF, a damaged one): no preview of it, nothing of the last.
      if (count !== photoCount) return;
      photoProblem = error instanceof RangeError ? config.words.refused : config.words.no_photo;
      canvas.hidden = true;
      figure.dataset.state = "waiting";
      say(photoProblem);
      return;
    }
    changed();
  }

  const fileInput = form.elements.photo;
  if (fileInput && fileInput.type === "file") {
    // Chosen, dropped (upload-drop.js) or taken with the camera (camera.js).
    for (const type of ["change", "picstylist:photo"]) fileInput.addEventListener(type, () => usePhoto(fileInput.files[0]));
    if (fileInput.files[0]) usePhoto(fileInput.files[0]);
  }
  form.addEventListener("input", (event) => { if (event.target.name !== "photo") changed(); });
  form.addEventListener("change", (event) => { if (event.target.name !== "photo") changed(); });
  if (config.photo) {
    // The stored photo (restyle page); from object storage this needs the bucket's CORS rule (README).
    fetch(config.photo)
      .then((answer) => { if (!answer.ok) throw new Error("photo " + answer.status); return answer.blob(); })
      .then((blob) => usePhoto(blob, !!config.photo_is_clip), () => say(config.words.failed));
  }
  else changed();
}
