/**
 * User-facing configuration, shared by every delta backend in the process.
 *
 * Thresholds are absolute, in the units of the tensor they apply to:
 * - `inputThreshold` applies where a delta kernel diffs a tensor that came from outside the delta
 *   graph (the frame, or something computed from it by kernels without delta support): 0.02 for a
 *   [0,1] input, ~5 for a 0-255 input.
 * - `threshold` truncates the output of nonlinear slots (activations, max pool, fused conv with an
 *   activation) and re-sparsifies mid-network tensors that lost their update.
 * - `thresholds[name]` overrides the output threshold of one slot (names as in `stats().layers`).
 * All zero (the default) is exact mode: outputs match the dense backend within float tolerance.
 */
export interface DeltaConfig {
  inputThreshold: number;
  threshold: number;
  thresholds: Record<string, number>;
  /** A dense frame every N frames (0 = never); bounds float drift of accumulators. */
  keyframeInterval: number;
  /**
   * A dense frame when the previous frame's error estimate (stats().errorEstimate: the share of the
   * network's dense MACs in layers whose pixels hold sub-threshold residuals) exceeds this bound, in
   * (0, 1]; 0 = off. See docs/calibration.md "Keyframes".
   */
  keyframeErrorBound: number;
  /** Record what each slot saw and produced, for `debug()` (tests, invariant checks). */
  debug: boolean;
  /**
   * Testing aid: every dense (seed) run of a delta kernel becomes a seed on all-zero inputs followed
   * by a delta step to the real inputs, so test suites written for dense kernels (tfjs-core's own)
   * exercise the delta kernels. Results are unchanged in exact mode; slower.
   */
  primeDeltaPath: boolean;
  /** Slots not used for this many frames are dropped. */
  slotTtlFrames: number;
  /** Upper bound on slots per stream (least recently used are dropped beyond it). */
  maxSlots: number;
}

export type DeltaConfigUpdate = Partial<DeltaConfig>;

export const DEFAULT_CONFIG: Readonly<DeltaConfig> = Object.freeze({
  inputThreshold: 0,
  threshold: 0,
  thresholds: {},
  keyframeInterval: 300,
  keyframeErrorBound: 0,
  debug: false,
  primeDeltaPath: false,
  slotTtlFrames: 16,
  maxSlots: 20000,
});

function checkNonNegative(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new Error(`tfjs-backend-delta: configure(): ${name} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

/** Validates an update and returns the merged configuration. */
export function mergeConfig(base: DeltaConfig, update: DeltaConfigUpdate): DeltaConfig {
  const next: DeltaConfig = {...base, thresholds: {...base.thresholds}};
  for (const [key, value] of Object.entries(update)) {
    switch (key) {
      case 'inputThreshold':
      case 'threshold':
        next[key] = checkNonNegative(key, value);
        break;
      case 'keyframeInterval':
      case 'slotTtlFrames':
      case 'maxSlots':
        if (!Number.isInteger(value) || (value as number) < 0) {
          throw new Error(`tfjs-backend-delta: configure(): ${key} must be an integer >= 0, got ${String(value)}`);
        }
        next[key] = value as number;
        break;
      case 'keyframeErrorBound':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
          throw new Error(`tfjs-backend-delta: configure(): keyframeErrorBound must be a number in [0, 1] (0 = off), got ${String(value)}`);
        }
        next[key] = value;
        break;
      case 'thresholds':
        if (value == null || typeof value !== 'object') {
          throw new Error('tfjs-backend-delta: configure(): thresholds must be an object {slotName: number}');
        }
        next.thresholds = {};
        for (const [slot, t] of Object.entries(value as Record<string, unknown>)) {
          next.thresholds[slot] = checkNonNegative(`thresholds['${slot}']`, t);
        }
        break;
      case 'debug':
      case 'primeDeltaPath':
        next[key] = Boolean(value);
        break;
      default:
        throw new Error(`tfjs-backend-delta: configure(): unknown option '${key}'`);
    }
  }
  return next;
}
