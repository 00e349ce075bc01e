// Worker of test/cuda/models.spec.ts: computes the dense 'cpu' reference outputs of one model on one clip
// (workerData {name, clip, frames}) and posts them back ({outputs: Float32Array[][]} or {error}), so that
// the references of the 10 model x clip pairs are computed in parallel on the GPU host's cores.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {parentPort, workerData} from 'node:worker_threads';
import {frameToInput, loadModelFile, MODELS} from 'tfjs-backend-delta/cli';
import {clipFrames, modelFile} from './data';

async function main() {
  const {name, clip, frames} = workerData as {name: string; clip: string; frames: number};
  await tf.setBackend('cpu');
  const spec = MODELS[name];
  const resize = spec.signatureSize && (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
  const model = await loadModelFile(modelFile(name)!, resize ? [spec.height, spec.width] : undefined);
  const outputs: Float32Array[][] = [];
  for (const f of clipFrames(clip, spec.width, spec.height, spec.fit ?? 'stretch', 0, frames)) {
    const x = frameToInput(spec, f);
    const y = model.execute(x, spec.outputs) as tf.Tensor | tf.Tensor[];
    const ys = Array.isArray(y) ? y : [y];
    outputs.push(await Promise.all(ys.map(async (t) => Float32Array.from(await t.data() as ArrayLike<number>))));
    tf.dispose([x, ...ys]);
  }
  parentPort!.postMessage({outputs});
}
main().catch((e) => parentPort!.postMessage({error: String(e?.stack ?? e)}));
