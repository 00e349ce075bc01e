// The real models of the end-to-end tests. Their catalog (input size, dtype, value range, fit, outputs,
// exact-mode tolerances), the file-system IOHandler and the frame -> input conversion are the package's
// own (tfjs-backend-delta/cli, shared with the tfjs-delta CLI); this adds loading a model by name from
// the test cache that scripts/setup-data.mjs fills.
import type {GraphModel} from '@tensorflow/tfjs-converter';
import {MODELS, loadModelFile} from 'tfjs-backend-delta/cli';
import {setupData} from './video';

export {MODELS, fileHandler, frameToInput, inputThreshold, outputNames} from 'tfjs-backend-delta/cli';
export type {ModelSpec} from 'tfjs-backend-delta/cli';

/** Loads a cached model onto the current backend (call after tf.setBackend: weights are written to it). */
export async function loadModel(name: string): Promise<GraphModel> {
  const file = setupData().models[name];
  if (!file) throw new Error(`model ${name} is not in the cache (scripts/setup-data.mjs)`);
  const spec = MODELS[name];
  const resize = spec?.signatureSize &&
      (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
  return loadModelFile(file, resize ? [spec.height, spec.width] : undefined);
}
