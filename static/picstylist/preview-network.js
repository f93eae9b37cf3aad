// The networks in the page: the style transfer network (the graph the worker runs, every rewrite applied)
// and the style prediction network, on onnxruntime-web's WebAssembly backend, all from our own origin.
// Images in and out are ImageData-like {width, height, data: RGBA bytes}; see preview-math.js.
import { contentTensor, croppedImage, STYLE_IMAGE_SIDE, styleTensor } from "./preview-math.js";

/** Whether this browser can run the networks at all (WebAssembly with SIMD is what the runtime ships for). */
export function canRun() {
  return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
}

/**
 * Loads the runtime and both networks once; resolves to {transfer(image, bottleneck), bottleneck(square),
 * threads}. Rejects when the runtime or a network cannot be loaded (the caller shows its note).
 * config: {runtime, runtime_loader, runtime_binary, transfer, predict} URLs (gallery.views.preview_config).
 */
export function loadNetworks(config) {
  // One runtime and one pair of sessions per page, shared by the preview and the camera.
  if (!loaded) loaded = load(config).catch((error) => { loaded = null; throw error; });
  return loaded;
}
let loaded = null;

// Threads and the proxy run in workers started from the runtime's scripts. In a cross-origin isolated page
// (picstylist.isolation) those scripts must themselves be served with a Cross-Origin-Embedder-Policy, or the
// browser blocks the workers and the runtime waits for them for ever. A server that serves static files
// without it (Django's development server does) gets the network on the page's own thread.
async function workersAllowed(config) {
  if (!self.crossOriginIsolated) return true;
  try {
    const answer = await fetch(config.runtime_loader, { method: "HEAD" });
    return answer.ok && !!answer.headers.get("Cross-Origin-Embedder-Policy");
  } catch (error) {
    return false;
  }
}

async function load(config) {
  const ort = await import(config.runtime);
  ort.env.wasm.wasmPaths = { mjs: config.runtime_loader, wasm: config.runtime_binary };
  const workers = await workersAllowed(config);
  ort.env.wasm.numThreads = workers && self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  // In a worker of its own, so the page (its sliders, its form) keeps answering while the network runs.
  ort.env.wasm.proxy = workers;
  const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  const [transferSession, predictSession] = await Promise.all([
    ort.InferenceSession.create(config.transfer, options),
    ort.InferenceSession.create(config.predict, options),
  ]);
  const [contentInput, bottleneckInput] = transferSession.inputNames;
  let queue = Promise.resolve();
  // One run at a time per session (onnxruntime-web refuses overlapping runs).
  const serial = (work) => (queue = queue.then(work, work));

  return {
    threads: ort.env.wasm.numThreads,
    proxy: ort.env.wasm.proxy,
    /** The painting of image (RGBA, any size) with a bottleneck (Float32Array(100)); same size, RGBA. */
    transfer(image, bottleneck) {
      return serial(async () => {
        const content = contentTensor(image);
        const feeds = {
          [contentInput]: new ort.Tensor("float32", content.data, content.dims),
          // A copy: in a worker (proxy) the runtime takes the buffer given to it, and the caller may use it again.
          [bottleneckInput]: new ort.Tensor("float32", Float32Array.from(bottleneck), [1, 1, 1, bottleneck.length]),
        };
        const results = await transferSession.run(feeds);
        const output = results[transferSession.outputNames[0]];
        const painted = croppedImage(output.data, output.dims[2], image.width, image.height);
        output.dispose?.();
        return painted;
      });
    },
    /** The style bottleneck (Float32Array(100)) of a STYLE_IMAGE_SIDE px square image. */
    bottleneck(square) {
      if (square.width !== STYLE_IMAGE_SIDE || square.height !== STYLE_IMAGE_SIDE) throw new Error("not a 256 px square");
      return serial(async () => {
        const input = styleTensor(square);
        const results = await predictSession.run({
          [predictSession.inputNames[0]]: new ort.Tensor("float32", input.data, input.dims),
        });
        return Float32Array.from(results[predictSession.outputNames[0]].data);
      });
    },
  };
}
