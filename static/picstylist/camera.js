// The camera page: the camera stream painted live in the page with the chosen style or mix (at full
// strength, with the colours control; the network runs at the camera's CAMERA_SIDE px), and "Take the
// photo", which makes the current frame, at the camera's full resolution, the form's photo.
import { draw, pixels } from "./preview-images.js";
import { mixBottlenecks, mixColors, sizeForLongSide } from "./preview-math.js";
import { canRun, loadNetworks } from "./preview-network.js";
import { mixKey, readRecipe, styleBottlenecks } from "./preview-recipe.js";

const section = document.querySelector("[data-camera]");
const configElement = document.getElementById("preview-config");
if (section && configElement) start(section, JSON.parse(configElement.textContent));

function start(section, config) {
  const form = section.closest("form");
  const video = section.querySelector("video");
  const painted = section.querySelector("canvas");
  const note = section.querySelector('[data-role="camera-note"]');
  const startButton = section.querySelector('[data-role="camera-start"]');
  const snap = section.querySelector('[data-role="camera-snap"]');
  const fpsOutput = section.querySelector('[data-role="camera-fps"]');
  const photoInput = form.elements.photo;
  let running = false;

  async function run() {
    const networks = config.enabled && canRun() ? await loadNetworks(config).catch(() => null) : null;
    if (!networks) { note.textContent = config.enabled && canRun() ? config.words.failed : config.words.no_wasm; return; }
    const bottleneckOf = styleBottlenecks(config, networks);
    const times = [];
    let frames = 0;
    while (running) {
      const recipe = readRecipe(form, config);
      if (!recipe.styles.length || !video.videoWidth) {
        note.textContent = config.words.camera_choose;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const started = performance.now();
      const bottleneck = mixBottlenecks(await Promise.all(recipe.styles.map(bottleneckOf)), recipe.weights, null, 1);
      const [width, height] = sizeForLongSide(video.videoWidth, video.videoHeight, config.camera_side);
      const frame = await pixels(video, width, height);
      if (!running) break;
      const image = mixColors(frame, await networks.transfer(frame, bottleneck), recipe.colors);
      if (!running) break;
      draw(painted, image);
      painted.hidden = false;
      frames += 1;
      times.push(performance.now());
      while (times.length && times[0] < performance.now() - 2000) times.shift();
      const fps = times.length > 1 ? (1000 * (times.length - 1)) / (times[times.length - 1] - times[0]) : 0;
      section.dataset.fps = fps.toFixed(1);
      section.dataset.frames = String(frames);
      section.dataset.frameMs = String(Math.round(performance.now() - started));
      section.dataset.mix = mixKey(recipe);
      fpsOutput.textContent = fps ? fps.toFixed(1) + " frames/s" : "";
      note.textContent = config.words.camera_live;
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  function stop() {
    running = false;
    if (video.srcObject) video.srcObject.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    section.dataset.state = "off";
    snap.disabled = true;
    startButton.disabled = false;
    startButton.textContent = config.words.camera_again;
  }

  startButton.addEventListener("click", async () => {
    if (running) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
      video.srcObject = stream;
      await video.play();
    } catch (error) {
      note.textContent = config.words.camera_denied;
      return;
    }
    running = true;
    section.dataset.state = "on";
    snap.disabled = false;
    startButton.disabled = true;
    run();
  });

  snap.addEventListener("click", async () => {
    if (!video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
    const name = "camera-" + new Date().toISOString().replace(/[:.]/g, "-") + ".jpg";
    const files = new DataTransfer();
    files.items.add(new File([blob], name, { type: "image/jpeg" }));
    photoInput.files = files.files;
    photoInput.dispatchEvent(new Event("change", { bubbles: true }));
    section.dataset.snapshots = String((parseInt(section.dataset.snapshots, 10) || 0) + 1);
    // The photo is taken: the camera stops (its cores go to the photo's preview); "Start" takes another.
    stop();
    note.textContent = config.words.camera_taken;
  });
  startButton.hidden = snap.hidden = false; // without this script they would do nothing, so they start hidden
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    note.textContent = config.words.camera_denied;
    startButton.disabled = true;
  }
}
