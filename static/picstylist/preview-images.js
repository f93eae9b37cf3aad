// Pixels in and out of canvases for the live preview: decoding, resampling ("high" quality), square crops.
import { fittedSize, lanczosResize, STYLE_IMAGE_SIDE } from "./preview-math.js";

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/**
 * An ImageBitmap of a file, blob or ImageData-like, upright (EXIF orientation applied), its pixel values
 * as stored: no colour management, as the worker's Pillow reads them (an ICC profile is not applied there).
 */
export function decode(source) {
  if (source && source.data && !(source instanceof ImageData)) source = new ImageData(source.data, source.width, source.height);
  if (isVideo(source)) return videoFrame(source).then((found) => found.bitmap);
  return createImageBitmap(source, { imageOrientation: "from-image", colorSpaceConversion: "none" });
}

/** Whether a file is a video (by its type; the page's checks sniff its first bytes too). */
export function isVideo(file) {
  return file instanceof Blob && /^video\//.test(file.type);
}

/**
 * The middle frame of a video file, upright, as the worker measures a clip's recipe on it
 * (stylizer.clip_render): {bitmap, width, height, seconds}; rejects where this browser cannot play it.
 */
export function videoFrame(file) {
  return new Promise((resolve, reject) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const finish = (settle) => (value) => {
      URL.revokeObjectURL(url);
      video.removeAttribute("src");
      video.load();
      settle(value);
    };
    video.muted = true;
    video.playsInline = true;
    video.preload = "auto";
    video.onerror = finish(() => reject(new Error("this browser cannot play this video")));
    video.onloadedmetadata = () => { video.currentTime = Number.isFinite(video.duration) ? video.duration / 2 : 0; };
    video.onseeked = () => {
      const facts = { width: video.videoWidth, height: video.videoHeight, seconds: video.duration };
      createImageBitmap(video).then((bitmap) => finish(resolve)({ ...facts, bitmap }), finish(reject));
    };
    video.src = url;
  });
}

/**
 * The RGBA pixels (ImageData) of a bitmap, or of its part `box` = [x, y, width, height],
 * resampled to width x height px.
 */
export async function pixels(bitmap, width, height, box = null) {
  const options = { resizeWidth: width, resizeHeight: height, resizeQuality: "high" };
  const resized = box ? await createImageBitmap(bitmap, ...box, options) : await createImageBitmap(bitmap, options);
  const context = canvasOf(width, height).getContext("2d", { willReadFrequently: true });
  context.drawImage(resized, 0, 0);
  resized.close();
  return context.getImageData(0, 0, width, height);
}

/** An ImageData-like image resampled to width x height px. */
export async function resample(image, width, height) {
  if (image.width === width && image.height === height) return image;
  const bitmap = await decode(image);
  try {
    return await pixels(bitmap, width, height);
  } finally {
    bitmap.close();
  }
}

/**
 * The center square of a bitmap at the style prediction network's 256 px, as the worker makes it: the
 * image fitted to `fitSide` px (stylizer.render.style_array; the photo is given at its output size), then
 * its center square resized with Lanczos (stylizer.engines.arrays.prepare_style_image).
 */
export async function centerSquare(bitmap, fitSide = 0) {
  const [width, height] = fitSide ? fittedSize(bitmap.width, bitmap.height, fitSide) : [bitmap.width, bitmap.height];
  const image = width === bitmap.width ? await pixels(bitmap, width, height) : await fitted(bitmap, width, height);
  const side = Math.min(width, height);
  const top = Math.floor((height - side) / 2), left = Math.floor((width - side) / 2);
  const square = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) square.set(image.data.subarray(((top + y) * width + left) * 4, ((top + y) * width + left + side) * 4), y * side * 4);
  return lanczosResize({ width: side, height: side, data: square }, STYLE_IMAGE_SIDE, STYLE_IMAGE_SIDE);
}

/** Draw an ImageData-like image on a visible canvas, sized to it. */
export function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  const data = image instanceof ImageData ? image : new ImageData(image.data, image.width, image.height);
  canvas.getContext("2d").putImageData(data, 0, 0);
}

/**
 * A photo (bitmap) at the output size, as stylizer.pipeline.fit_long_side makes it: Pillow reduces by the
 * whole factor that leaves at least 3 times the size (reducing_gap 3), then resizes with Lanczos.
 */
export async function fitted(bitmap, width, height) {
  const factor = Math.max(1, Math.floor(Math.min(bitmap.width / width, bitmap.height / height) / 3));
  const reduced = await pixels(bitmap, Math.ceil(bitmap.width / factor), Math.ceil(bitmap.height / factor));
  return lanczosResize(reduced, width, height);
}

/**
 * {width, height} of an image file, upright, from an <img> (which reads the header and decodes the pixels
 * only to paint them); null where this browser cannot show it.
 */
export function imageSize(file) {
  if (!(file instanceof Blob) || isVideo(file)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => { URL.revokeObjectURL(url); resolve({ width: image.naturalWidth, height: image.naturalHeight }); };
    image.onerror = () => { URL.revokeObjectURL(url); resolve(null); };
    image.src = url;
  });
}
