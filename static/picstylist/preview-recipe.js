// The recipe the form holds now (styles and weights, strength, colours, brush, output size), and the
// styles' bottlenecks: the server's cached ones, or the prediction network's in the page.
import { centerSquare, decode } from "./preview-images.js";

/** The long side (px) a style image is read at before its square is taken (stylizer.render.style_array). */
const STYLE_FIT_SIDE = 1024;

/** {styles: [style id or own File], weights, strength 0-1, colors 0-1, brush, maxSide, clipSide} of the form now. */
export function readRecipe(form, config) {
  const value = (name) => { const field = form.elements[name]; return field && field.value !== undefined ? field.value : ""; };
  const percent = (name) => { const v = parseInt(value(name), 10); return Number.isFinite(v) ? Math.min(100, Math.max(0, v)) / 100 : 1; };
  const styles = [];
  const weights = [];
  const main = form.querySelector('input[name="style"]:checked');
  const own = form.elements.style_image && form.elements.style_image.files && form.elements.style_image.files[0];
  if (main) styles.push(main.value);
  else if (own) styles.push(own);
  if (styles.length) {
    weights.push(Math.max(1, parseInt(value("main_weight"), 10) || 100));
    for (const rank of ["second", "third"]) {
      if (value(rank + "_style")) {
        styles.push(value(rank + "_style"));
        weights.push(Math.max(1, parseInt(value(rank + "_weight"), 10) || 50));
      }
    }
  }
  return {
    styles, weights,
    strength: percent("strength"), colors: percent("colors"),
    brush: value("brush") || config.default_brush,
    maxSide: parseInt(value("max_side"), 10) || config.default_max_side,
    clipSide: parseInt(value("clip_side"), 10) || config.default_clip_side,
  };
}

/** A short key of a style: its id, or one's own image file's name, size and date. */
function styleKey(style) {
  return style instanceof File ? "own:" + style.name + style.size + style.lastModified : style;
}

/** A short key of a recipe's styles and weights. */
export function mixKey(recipe) {
  return recipe.styles.map(styleKey).join("+") + ":" + recipe.weights.join("+");
}

/** style (id or File) -> promise of its bottleneck (Float32Array(100)), each fetched or computed once. */
export function styleBottlenecks(config, networks) {
  const known = new Map();
  async function fromImage(blob) {
    let bitmap;
    try {
      bitmap = await decode(blob);
    } catch (error) {
      throw Object.assign(new Error("style image: " + error.message), { styleImage: true });
    }
    try { return await networks.bottleneck(await centerSquare(bitmap, STYLE_FIT_SIDE)); } finally { bitmap.close(); }
  }
  async function load(style) {
    if (style instanceof File) return fromImage(style);
    const answer = await fetch(config.style_bottleneck.replace(config.id_placeholder, style), { headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error("style bottleneck: " + answer.status);
    const found = await answer.json();
    if (found.bottleneck) return Float32Array.from(found.bottleneck);
    // Not computed on the server yet: the prediction network here, on the image the worker would read.
    return fromImage(await (await fetch(found.image)).blob());
  }
  return (style) => {
    const key = styleKey(style);
    if (!known.has(key)) known.set(key, load(style).catch((error) => { known.delete(key); throw error; }));
    return known.get(key);
  };
}
