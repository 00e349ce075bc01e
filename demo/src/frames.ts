/**
 * Where frames come from: a clip decoded once into consecutive frames (so every frame reaches the
 * model, as from a camera at full rate, however slow the backend is), or the webcam (the newest frame).
 * And how a frame is fitted to the model input (letterbox for MoveNet, stretch for PoseNet), with the
 * geometry that maps model-input pixels back to the frame (src/cli/video.ts FrameGeometry).
 */
import type {FrameGeometry} from '../../src/cli/video';

export interface Frame {
  image: CanvasImageSource;
  width: number;
  height: number;
  /** Index in the clip (webcam: a running count). */
  index: number;
}

export interface FrameSource {
  readonly label: string;
  next(): Frame;
  stop(): void;
}

/** The largest side the decoded clip frames are kept at (the models take 129..257 px). */
const KEEP_SIDE = 384;

/**
 * Decodes a clip by playing it (muted, at half speed) and copying each presented frame
 * (requestVideoFrameCallback), because headless and some desktop browsers do not present a new frame
 * after seeking a paused video. Frames the browser did not present are missing (reported in `label`).
 */
export async function decodeClip(url: string, fps: number, frames: number, onProgress: (n: number) => void): Promise<FrameSource> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.src = url;
  await new Promise<void>((resolve, reject) => {
    video.onloadeddata = () => resolve();
    video.onerror = () => reject(new Error(`cannot play ${url}: ${video.error?.message || `media error ${video.error?.code}`}`));
  });
  const s = Math.min(1, KEEP_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const w = Math.round(video.videoWidth * s), h = Math.round(video.videoHeight * s);
  const got = new Map<number, ImageBitmap>();
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve, reject) => {
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      const i = Math.round(meta.mediaTime * fps);
      if (!got.has(i) && i < frames) {
        pending.push(createImageBitmap(video, {resizeWidth: w, resizeHeight: h, resizeQuality: 'high'}).then((b) => {
          got.set(i, b);
          onProgress(got.size);
        }));
      }
      if (!video.ended) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.onended = () => resolve();
    video.playbackRate = 0.5;
    video.play().catch(reject);
  });
  await Promise.all(pending);
  const list = [...got.entries()].sort((a, b) => a[0] - b[0]);
  if (!list.length) throw new Error(`${url}: the browser presented no frames`);
  let i = 0;
  return {
    label: `${list.length} of ${frames} frames decoded`,
    next: () => {
      const [index, image] = list[i];
      i = (i + 1) % list.length;
      return {image, width: w, height: h, index};
    },
    stop: () => { for (const [, b] of list) b.close(); },
  };
}

export async function openWebcam(): Promise<FrameSource> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser has no camera access (navigator.mediaDevices)');
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: {ideal: 640}, height: {ideal: 480}}, audio: false});
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  let n = 0;
  return {
    label: `webcam ${video.videoWidth}x${video.videoHeight}`,
    next: () => ({image: video, width: video.videoWidth, height: video.videoHeight, index: n++}),
    stop: () => { for (const t of stream.getTracks()) t.stop(); },
  };
}

/** The frame fitted into size x size (letterbox 'pad' or 'stretch'), as RGB bytes, and its geometry. */
export function fitFrame(frame: Frame, size: number, fit: 'pad' | 'stretch', canvas: OffscreenCanvas): {rgb: Uint8Array; g: FrameGeometry} {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', {willReadFrequently: true})!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  let w = size, h = size, padX = 0, padY = 0;
  if (fit === 'pad') {
    const s = Math.min(size / frame.width, size / frame.height);
    w = Math.min(size, Math.round(frame.width * s));
    h = Math.min(size, Math.round(frame.height * s));
    padX = Math.floor((size - w) / 2);
    padY = Math.floor((size - h) / 2);
  }
  ctx.drawImage(frame.image, padX, padY, w, h);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const rgb = new Uint8Array(size * size * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p]; rgb[q + 1] = rgba[p + 1]; rgb[q + 2] = rgba[p + 2];
  }
  const g: FrameGeometry = {width: size, height: size, sourceWidth: frame.width, sourceHeight: frame.height,
    scaleX: frame.width / w, scaleY: frame.height / h, padX, padY};
  return {rgb, g};
}
