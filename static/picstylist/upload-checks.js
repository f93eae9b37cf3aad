// What the browser can tell about an image file before it is sent: its size in bytes, its
// format from its first bytes, its size in pixels, and that size once fitted to the output
// size. The server checks the same again (gallery.forms), in the same words (upload-messages.js).
import { imageSize } from "./preview-images.js";
import { fittedSize } from "./preview-math.js";
import { fill, say, texts } from "./upload-messages.js";

/** A size in bytes as the page shows it ("773 KB", "30.0 MB"). */
export function fileSize(bytes) {
  if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
  if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
  return bytes + " bytes";
}

// The file's format from its first bytes, as the server decides it
// (stylizer.pipeline.ALLOWED_FORMATS), with the size its header declares
// where that is at a fixed place (PNG, GIF); null if it is none of them.
function sniff(file) {
  return file.slice(0, 32).arrayBuffer().then((buffer) => {
    const b = new Uint8Array(buffer);
    const view = new DataView(buffer);
    const text = String.fromCharCode.apply(null, b);
    const found = (format, width, height) => ({ format, width, height });
    if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return found("JPEG");
    if (text.slice(0, 8) === "\x89PNG\r\n\x1a\n") return b.length >= 24 ? found("PNG", view.getUint32(16), view.getUint32(20)) : found("PNG");
    if (text.slice(0, 4) === "GIF8") return b.length >= 10 ? found("GIF", view.getUint16(6, true), view.getUint16(8, true)) : found("GIF");
    if (text.slice(0, 4) === "RIFF" && text.slice(8, 12) === "WEBP") return found("WEBP");
    if (text.slice(0, 2) === "BM") return found("BMP");
    if (text.slice(0, 4) === "II*\x00" || text.slice(0, 4) === "MM\x00*") return found("TIFF");
    if (text.slice(4, 8) === "ftyp" && /^(heic|heix|heim|heis|hevc|hevx|mif1|msf1|avif)$/.test(text.slice(8, 12))) return found("HEIF");
    // Videos, as stylizer.clips opens them: MP4 and MOV (an ISO "ftyp" box), WebM and Matroska (EBML).
    if (text.slice(4, 8) === "ftyp" || (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3)) return found("VIDEO");
    return null;
  });
}

/** Formats that may hold a clip: a video, or an animated GIF, WebP or PNG (the server tells which). */
const CLIP_FORMATS = new Set(["VIDEO", "GIF", "WEBP", "PNG"]);

/**
 * The checks under the site's limits: {maxBytes, maxPixels, minSide, styleSide, maxClipBytes, maxClipSeconds,
 * clipLongSide, clipShortSide} (0: not checked). Each problem is a message, or null where there is none.
 */
export function checks({ maxBytes, maxPixels, minSide, styleSide, maxClipBytes = 0, maxClipSeconds = 0, clipLongSide = 0, clipShortSide = 0 }) {
  // The same words as the server (gallery.forms.ImageUploadField) for a size it refuses, else null.
  function sizeProblem(width, height) {
    const pixels = width * height;
    if (maxPixels && pixels > maxPixels) {
      return say("too_many_pixels", { width, height, megapixels: Math.round(pixels / 1e6), limit: Math.round(maxPixels / 1e6) });
    }
    if (minSide && Math.min(width, height) < minSide) return say("image_too_small", { width, height, min_side: minSide });
    return null;
  }

  // The same words as the server (gallery.forms.fitted_size_problem) for an image whose size once
  // fitted to maxSide px is under the minimum side, else null; kind names the image, its result
  // and the advice (gallery.messages.PHOTO_TOO_THIN...).
  function fittedSizeProblem(width, height, maxSide, kind) {
    if (!minSide || !maxSide) return null;
    const fitted = fittedSize(width, height, maxSide);
    if (Math.min(fitted[0], fitted[1]) >= minSide) return null;
    const limit = say("aspect_limit", { ratio: Math.floor(maxSide / minSide), max_side: maxSide });
    return say("fitted_too_thin", {
      image: kind.image, result: kind.result, width, height, max_side: maxSide,
      fitted_width: fitted[0], fitted_height: fitted[1], min_side: minSide, advice: fill(kind.advice, { limit }),
    });
  }

  // What a file's size and first bytes tell; resolves to {problem} or {format, width, height}.
  // `clips`: the photo field, which takes clips too (gallery.upload_fields.PhotoOrClipField).
  function screen(file, clips = false) {
    if (file.size === 0) return Promise.resolve({ problem: say("file_empty") });
    return sniff(file).then((found) => {
      if (!found) return { problem: say(clips ? "not_a_clip" : "not_an_image", { name: file.name }) };
      if (found.format === "VIDEO" && !clips) return { problem: say("not_an_image", { name: file.name }) };
      // A video may be up to the clip limit; a GIF, WebP or PNG too, in case it is animated (the server tells).
      const limit = found.format === "VIDEO" ? maxClipBytes : clips && CLIP_FORMATS.has(found.format) ? Math.max(maxBytes, maxClipBytes) : maxBytes;
      if (limit && file.size > limit) return { problem: say("file_too_large", { size: fileSize(file.size), limit: fileSize(limit) }) };
      if (found.width && found.height && maxPixels && found.width * found.height > maxPixels) return { problem: sizeProblem(found.width, found.height) };
      return found;
    });
  }

  // The same words as the server (stylizer.clips.ClipLimits) for a clip of {width, height, seconds}, else null.
  function clipProblem({ width, height, seconds }) {
    if (maxClipSeconds && seconds > maxClipSeconds + 0.05) {
      return say("clip_too_long", { seconds: seconds.toFixed(1), limit: String(maxClipSeconds) });
    }
    if (clipLongSide && clipShortSide && (Math.max(width, height) > clipLongSide || Math.min(width, height) > clipShortSide)) {
      return say("clip_too_large", { width, height, long: clipLongSide, short: clipShortSide });
    }
    return null;
  }

  return {
    sizeProblem,
    screen,
    clipProblem,

    // A photo of width x height px, at the output size maxSide (gallery.forms.photo_size_problem).
    photoFitProblem(width, height, maxSide) {
      return fittedSizeProblem(width, height, maxSide, texts.photo_too_thin);
    },

    // A style image: its file, its size and its size once stored (gallery.forms.StyleImageField).
    styleProblem(file) {
      return screen(file).then((found) => {
        if (found.problem) return found.problem;
        const size = found.width && found.height ? Promise.resolve(found) : imageSize(file);
        return size.then((dimensions) => {
          if (!dimensions) return null; // the server tells
          return sizeProblem(dimensions.width, dimensions.height) ||
            fittedSizeProblem(dimensions.width, dimensions.height, styleSide, texts.style_image_too_thin);
        });
      });
    },
  };
}
