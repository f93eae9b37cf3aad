// The arithmetic of the live preview, as the worker does it (stylizer.painting, stylizer.engines.arrays):
// sizes, the style bottleneck mix, the network's mirrored border, colours in YCbCr and the strength blend.
// Images are ImageData-like: {width, height, data: RGBA bytes}. No DOM here.

/** Side of the square the style prediction network sees (px); stylizer.engines.arrays.STYLE_IMAGE_SIDE. */
export const STYLE_IMAGE_SIDE = 256;
/** Mirrored margin around the content (px); stylizer.engines.arrays.TRANSFER_BORDER. */
export const TRANSFER_BORDER = 16;
const SIZE_MULTIPLE = 4;
const MIN_SIDE = 16;

/** Python's round(): halves to even, so sizes match the server's to the pixel. */
export function pyRound(value) {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** [width, height] scaled, up or down, to a long side of `side` px (painting._size_for_long_side). */
export function sizeForLongSide(width, height, side) {
  const scale = side / Math.max(width, height);
  return [Math.max(1, pyRound(width * scale)), Math.max(1, pyRound(height * scale))];
}

/** [width, height] with the long side at most `maxSide` px, never enlarged (pipeline.fitted_size). */
export function fittedSize(width, height, maxSide) {
  return Math.max(width, height) <= maxSide ? [width, height] : sizeForLongSide(width, height, maxSide);
}

/**
 * The style bottleneck of a mix at a strength (arrays.mix_bottlenecks; Ghiasi et al. 2017, section 4):
 * (1 - strength) * content + strength * Σ wᵢ bᵢ / Σ wᵢ. Float32Array(100).
 */
export function mixBottlenecks(bottlenecks, weights, content, strength) {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const mixed = new Float64Array(bottlenecks[0].length);
  bottlenecks.forEach((b, i) => { for (let k = 0; k < mixed.length; k++) mixed[k] += (weights[i] * b[k]) / total; });
  if (strength < 1) for (let k = 0; k < mixed.length; k++) mixed[k] = (1 - strength) * content[k] + strength * mixed[k];
  return Float32Array.from(mixed);
}

function extra(size) {
  const padded = Math.max(size + 2 * TRANSFER_BORDER, MIN_SIDE);
  return Math.ceil(padded / SIZE_MULTIPLE) * SIZE_MULTIPLE - size - TRANSFER_BORDER;
}

// numpy's "symmetric" padding: the edge pixel repeated, then mirrored; works for any width.
function mirror(index, size) {
  const period = 2 * size;
  let i = ((index % period) + period) % period;
  return i < size ? i : period - 1 - i;
}

/** The content as the transfer network's input (arrays._content_batch): {data: Float32Array NHWC, dims}. */
export function contentTensor(image) {
  const { width, height, data } = image;
  const paddedWidth = TRANSFER_BORDER + width + extra(width);
  const paddedHeight = TRANSFER_BORDER + height + extra(height);
  const out = new Float32Array(paddedWidth * paddedHeight * 3);
  for (let y = 0; y < paddedHeight; y++) {
    const row = mirror(y - TRANSFER_BORDER, height) * width;
    for (let x = 0; x < paddedWidth; x++) {
      const from = (row + mirror(x - TRANSFER_BORDER, width)) * 4;
      const to = (y * paddedWidth + x) * 3;
      out[to] = data[from] / 255;
      out[to + 1] = data[from + 1] / 255;
      out[to + 2] = data[from + 2] / 255;
    }
  }
  return { data: out, dims: [1, paddedHeight, paddedWidth, 3] };
}

/** The network's float output [1, H', W', 3] cropped to the content (arrays._to_uint8) as RGBA ImageData-like. */
export function croppedImage(output, outputWidth, width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((y + TRANSFER_BORDER) * outputWidth + x + TRANSFER_BORDER) * 3;
      const to = (y * width + x) * 4;
      data[to] = Math.round(output[from] * 255);
      data[to + 1] = Math.round(output[from + 1] * 255);
      data[to + 2] = Math.round(output[from + 2] * 255);
      data[to + 3] = 255;
    }
  }
  return { width, height, data };
}

/** A square image's pixels as the style prediction network's input: Float32Array [1, side, side, 3] in [0, 1]. */
export function styleTensor(image) {
  const out = new Float32Array(image.width * image.height * 3);
  for (let i = 0, j = 0; i < image.data.length; i += 4, j += 3) {
    out[j] = image.data[i] / 255;
    out[j + 1] = image.data[i + 1] / 255;
    out[j + 2] = image.data[i + 2] / 255;
  }
  return { data: out, dims: [1, image.height, image.width, 3] };
}

/** Mean absolute difference of two same-size images' RGB, on 0-255. */
export function meanDifference(a, b) {
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    sum += Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
  }
  return sum / ((a.data.length / 4) * 3);
}

/** How much of the painting at a strength to blend over the photo (painting.blend_weight), from d(full) and d(partial). */
export function blendWeight(strength, fullChange, partialChange) {
  if (strength <= 0) return 0;
  if (strength >= 1) return 1;
  if (partialChange <= 0) return strength;
  return Math.min(1, (strength * fullChange) / partialChange);
}

function ycc(r, g, b) {
  return [
    0.299 * r + 0.587 * g + 0.114 * b,
    128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
    128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
  ];
}

/**
 * The painting's colours mixed toward the photo's (painting.mix_colors; Gatys et al., arXiv:1606.05897, 2.2):
 * in ITU-R BT.601 YCbCr, luma matched to the photo's mean and standard deviation. colors 0-1; new image.
 */
export function mixColors(photo, painted, colors) {
  if (colors >= 1) return painted;
  const count = painted.width * painted.height;
  const planes = [photo, painted].map((image) => {
    const y = new Float32Array(count), cb = new Float32Array(count), cr = new Float32Array(count);
    for (let p = 0; p < count; p++) {
      const v = ycc(image.data[4 * p], image.data[4 * p + 1], image.data[4 * p + 2]);
      y[p] = Math.round(v[0]); cb[p] = Math.round(v[1]); cr[p] = Math.round(v[2]);
    }
    return { y, cb, cr };
  });
  const stats = (values) => {
    let mean = 0; for (const v of values) mean += v; mean /= values.length;
    let variance = 0; for (const v of values) variance += (v - mean) * (v - mean);
    return [mean, Math.sqrt(variance / values.length)];
  };
  const [paintedMean, paintedStd] = stats(planes[1].y);
  const [photoMean, photoStd] = stats(planes[0].y);
  const data = new Uint8ClampedArray(count * 4);
  for (let p = 0; p < count; p++) {
    const matched = ((planes[1].y[p] - paintedMean) / Math.max(paintedStd, 1e-3)) * photoStd + photoMean;
    const y = Math.min(255, Math.max(0, Math.round(colors * planes[1].y[p] + (1 - colors) * matched)));
    const cb = Math.min(255, Math.max(0, Math.round(colors * planes[1].cb[p] + (1 - colors) * planes[0].cb[p]))) - 128;
    const cr = Math.min(255, Math.max(0, Math.round(colors * planes[1].cr[p] + (1 - colors) * planes[0].cr[p]))) - 128;
    data[4 * p] = y + 1.402 * cr;
    data[4 * p + 1] = y - 0.344136 * cb - 0.714136 * cr;
    data[4 * p + 2] = y + 1.772 * cb;
    data[4 * p + 3] = 255;
  }
  return { width: painted.width, height: painted.height, data };
}

/** (1 - alpha) * photo + alpha * painting (painting.bring_to_size's blend), same sizes; new image. */
export function blend(photo, painted, alpha) {
  if (alpha >= 1) return painted;
  const data = new Uint8ClampedArray(painted.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(alpha * painted.data[i] + (1 - alpha) * photo.data[i]);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: painted.width, height: painted.height, data };
}

function lanczos(x) {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

// Pillow's resampling coefficients for one axis (Imaging/Resample.c, precompute_coeffs): [starts, counts, weights].
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize), counts = new Int32Array(outSize), weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - start;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const w = lanczos((k + start - center + 0.5) / filterScale);
      weights[i * taps + k] = w;
      total += w;
    }
    for (let k = 0; k < count; k++) weights[i * taps + k] /= total || 1;
    starts[i] = start;
    counts[i] = count;
  }
  return { starts, counts, weights, taps };
}

// One pass along rows (horizontal) or columns, RGBA bytes in and out, rounded as Pillow's 8-bit passes are.
function pass(source, width, height, outSize, horizontal) {
  const c = coefficients(horizontal ? width : height, outSize);
  const outWidth = horizontal ? outSize : width, outHeight = horizontal ? height : outSize;
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const i = horizontal ? x : y;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < c.counts[i]; k++) {
        const w = c.weights[i * c.taps + k];
        const at = horizontal ? (y * width + c.starts[i] + k) * 4 : ((c.starts[i] + k) * width + x) * 4;
        r += w * source[at]; g += w * source[at + 1]; b += w * source[at + 2];
      }
      const to = (y * outWidth + x) * 4;
      out[to] = r; out[to + 1] = g; out[to + 2] = b; out[to + 3] = 255; // Uint8ClampedArray rounds and clips
    }
  }
  return out;
}

/** An image resized with Pillow's Lanczos filter (what stylizer.measures.resized does), width x height px. */
export function lanczosResize(image, width, height) {
  if (image.width === width && image.height === height) return image;
  let data = image.data;
  if (width !== image.width) data = pass(data, image.width, image.height, width, true);
  if (height !== image.height) data = pass(data, width, image.height, height, false);
  return { width, height, data };
}
