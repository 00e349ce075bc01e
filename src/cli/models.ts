/**
 * Graph models from disk: a file-system IOHandler (no fetch), the frame -> input tensor conversion, and
 * how a `--model` argument (a catalog name or a model.json path) becomes a model file plus its input
 * convention (catalog.ts for known models, the model's own signature otherwise).
 */
import * as tf from '@tensorflow/tfjs-core';
import {GraphModel, loadGraphModel} from '@tensorflow/tfjs-converter';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {HUMAN_PACKAGE, MODELS, MODELS_PACKAGE, ModelSpec} from './catalog';
import {CliError, UsageError} from './errors';
import {cacheDir} from './paths';

/** An RGB uint8 frame (height*width*3, HWC) as the model's input tensor [1,H,W,3] on the current backend. */
export function frameToInput(spec: Pick<ModelSpec, 'name' | 'width' | 'height' | 'dtype' | 'range'>, frame: Uint8Array): tf.Tensor4D {
  const shape: [number, number, number, number] = [1, spec.height, spec.width, 3];
  if (frame.length !== spec.height * spec.width * 3) {
    throw new Error(`${spec.name}: frame has ${frame.length} bytes, expected ${spec.height}x${spec.width}x3`);
  }
  const [lo, hi] = spec.range;
  if (spec.dtype === 'int32') {
    if (lo !== 0 || hi !== 255) throw new Error('int32 inputs are raw 0..255');
    return tf.tensor4d(Int32Array.from(frame), shape, 'int32');
  }
  const s = (hi - lo) / 255;
  const v = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i++) v[i] = frame[i] * s + lo;
  return tf.tensor4d(v, shape, 'float32');
}

/** A file-system IOHandler: model.json + its weight shards (concatenated in manifest order).
 *  inputSize [h, w] rewrites the size of every 4-D input placeholder (and the signature). */
export function fileHandler(modelJson: string, inputSize?: [number, number]): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJson, 'utf8')) as tf.io.ModelJSON;
      if (inputSize) setInputSize(json, inputSize);
      const dir = dirname(modelJson);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Buffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
        }
        const all = Buffer.concat(buffers);
        const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
        return [specs, data];
      });
    },
  };
}

// model.json's topology is a TF GraphDef in JSON (untyped here).
function setInputSize(json: any, [h, w]: [number, number]) {
  const dims = (d: Array<{size: string}>) => { if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); } };
  for (const node of json.modelTopology.node) {
    if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
  }
  for (const input of Object.values(json.signature?.inputs ?? {}) as Array<{tensorShape?: {dim: Array<{size: string}>}}>) {
    dims(input.tensorShape?.dim ?? []);
  }
}

/** Output node names of a loaded model, in the order model.execute(x) returns them. */
export function outputNames(model: GraphModel): string[] {
  return model.outputNodes.map((n) => n.replace(/:0$/, ''));
}

/** Loads model.json from disk onto the current backend (call after tf.setBackend: weights are written to it). */
export function loadModelFile(modelJson: string, inputSize?: [number, number]): Promise<GraphModel> {
  return loadGraphModel(fileHandler(modelJson, inputSize));
}

// ---------------------------------------------------------------- finding models

/** model.json of a catalog model if it is installed: in an npm package that ships it, or in the test cache. */
export function locateCatalogModel(spec: ModelSpec): string | null {
  for (const pkg of spec.packages) {
    if (pkg === HUMAN_PACKAGE) {
      for (const dir of require.resolve.paths(HUMAN_PACKAGE) ?? []) {
        const p = join(dir, HUMAN_PACKAGE, 'models', `${spec.file}.json`);
        if (existsSync(p)) return p;
      }
    } else if (pkg === MODELS_PACKAGE) {
      const p = join(cacheDir(), 'models', spec.name, 'model.json');   // scripts/setup-data.mjs puts it there
      if (existsSync(p)) return p;
    }
  }
  return null;
}

export interface ResolvedModel {
  spec: ModelSpec;
  file: string;
  /** Catalog model (known input convention) or one described only by its own signature. */
  known: boolean;
  /** How the catalog entry was recognised. */
  identifiedBy: 'name' | 'sha256' | 'signature';
  /** [h, w] to rewrite the input placeholder to (fully convolutional models at another size). */
  inputSizeRewrite?: [number, number];
}

interface InputSignature { name: string; dtype: string; dims: number[] }

/** The model's image inputs as its model.json declares them (signature, else Placeholder nodes). */
function inputSignatures(json: any): InputSignature[] {
  const fromSig = Object.values(json.signature?.inputs ?? {}) as Array<{name: string; dtype: string; tensorShape?: {dim?: Array<{size: string}>}}>;
  if (fromSig.length) {
    return fromSig.map((s) => ({name: s.name, dtype: s.dtype, dims: (s.tensorShape?.dim ?? []).map((d) => Number(d.size))}));
  }
  return (json.modelTopology?.node ?? []).filter((n: any) => n.op === 'Placeholder').map((n: any) => ({
    name: n.name, dtype: n.attr?.dtype?.type, dims: (n.attr?.shape?.shape?.dim ?? []).map((d: {size: string}) => Number(d.size))}));
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const knownHashes = new Map<string, ModelSpec>();
for (const spec of Object.values(MODELS)) knownHashes.set(spec.sha256[`${spec.file}.json`], spec);

/** A spec for a model that is not in the catalog, from its model.json. */
function genericSpec(file: string, json: any, range: [number, number] | undefined): ModelSpec {
  const inputs = inputSignatures(json);
  const image = inputs.filter((i) => i.dims.length === 4 && (i.dims[3] === 3 || i.dims[3] === -1));
  if (inputs.length !== 1 || image.length !== 1) {
    const found = inputs.map((i) => `${i.name} [${i.dims.join(',')}]`).join(', ') || 'none';
    throw new CliError(`${file}: the CLI needs a model with one NHWC image input [N,H,W,3]; its inputs: ${found}`);
  }
  const input = image[0];
  const dtype = input.dtype === 'DT_INT32' ? 'int32' : input.dtype === 'DT_FLOAT' ? 'float32' : null;
  if (!dtype) throw new CliError(`${file}: input ${input.name} has dtype ${input.dtype}; the CLI feeds float32 or int32`);
  if (dtype === 'int32' && range && (range[0] !== 0 || range[1] !== 255)) {
    throw new UsageError(`--range: ${file} takes int32 input, which the CLI feeds as raw 0..255`);
  }
  const name = basename(file) === 'model.json' ? basename(dirname(file)) : basename(file).replace(/\.json$/, '');
  return {
    name, width: input.dims[2], height: input.dims[1], dtype, range: range ?? (dtype === 'int32' ? [0, 255] : [0, 1]),
    fit: 'stretch', outputs: [], file: name, sha256: {}, packages: [],
    note: `input ${input.name} [${input.dims.join(',')}] ${dtype}, range ${range ? 'from --range' : 'assumed'} ` +
      `${(range ?? (dtype === 'int32' ? [0, 255] : [0, 1])).join('..')}${range ? '' : ' (--range to change)'}`,
  };
}

/**
 * Resolves `--model` (a catalog name or a path to model.json) and `--size`/`--range` into a model file
 * and its input convention. Throws UsageError/CliError with one-line messages for every bad case.
 */
export function resolveModel(arg: string, opts: {size?: [number, number]; range?: [number, number]} = {}): ResolvedModel {
  let file: string;
  let spec: ModelSpec | undefined;
  let identifiedBy: ResolvedModel['identifiedBy'] = 'signature';
  const looksLikePath = arg.endsWith('.json') || arg.includes('/') || arg.includes('\\');
  if (looksLikePath || existsSync(arg)) {
    if (!existsSync(arg) || !statSync(arg).isFile()) throw new CliError(`model file not found: ${arg}`);
    file = arg;
    spec = knownHashes.get(sha256(file));
    if (spec) identifiedBy = 'sha256';
  } else {
    spec = MODELS[arg];
    if (!spec) {
      throw new UsageError(`unknown model name '${arg}' (known: ${Object.keys(MODELS).join(', ')}; or give the path of a model.json)`);
    }
    const found = locateCatalogModel(spec);
    if (!found) {
      throw new CliError(`model ${arg} is not installed here: it comes from ${spec.packages.join(' or ')}; in a checkout of ` +
          `tfjs-backend-delta run \`node scripts/setup-data.mjs\` (fetches it into ${join(cacheDir(), 'models')}), or pass the path of its model.json`);
    }
    file = found;
    identifiedBy = 'name';
  }
  let json: any;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not a model.json (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json?.modelTopology || !json?.weightsManifest) throw new CliError(`${file} is not a tfjs graph model (no modelTopology/weightsManifest)`);

  if (spec) {
    if (opts.range) throw new UsageError(`--range is for models outside the catalog; ${spec.name}'s input range is ${spec.range.join('..')}`);
    return {...sizedCatalogSpec(spec, opts.size), file, known: true, identifiedBy};
  }
  const generic = genericSpec(file, json, opts.range);
  const fixed = generic.width > 0 && generic.height > 0;
  if (!fixed && !opts.size) throw new UsageError(`${file} has a dynamic input size: give --size WxH`);
  if (fixed && opts.size && (opts.size[0] !== generic.width || opts.size[1] !== generic.height)) {
    throw new UsageError(`--size ${opts.size.join('x')} does not match the fixed input of ${generic.name}: ${generic.width}x${generic.height}`);
  }
  if (opts.size) [generic.width, generic.height] = opts.size;
  return {spec: generic, file, known: false, identifiedBy};
}

/** The catalog spec at the requested size, or a UsageError when the model cannot take that size. */
function sizedCatalogSpec(spec: ModelSpec, size: [number, number] | undefined): {spec: ModelSpec; inputSizeRewrite?: [number, number]} {
  const [w, h] = size ?? [spec.width, spec.height];
  if (spec.sizeRule) {
    const {step, offset} = spec.sizeRule;
    const ok = (v: number) => v > offset && (v - offset) % step === 0;
    if (!ok(w) || !ok(h)) {
      throw new UsageError(`--size ${w}x${h} does not fit ${spec.name}: it is fully convolutional but needs W and H = ` +
          `${step}k+${offset} (e.g. ${step * 16 + offset}x${step * 16 + offset}, ${step * 24 + offset}x${step * 24 + offset})`);
    }
  } else if (w !== spec.width || h !== spec.height) {
    throw new UsageError(`--size ${w}x${h} does not match the fixed input of ${spec.name}: ${spec.width}x${spec.height}`);
  }
  const sig = spec.signatureSize;
  const rewrite: [number, number] | undefined = sig && (sig[0] !== h || sig[1] !== w) ? [h, w] : undefined;
  return {spec: {...spec, width: w, height: h}, inputSizeRewrite: rewrite};
}
