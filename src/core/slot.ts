/** A slot: the persistent state of one layer (one kernel call position) across frames. */

export type RunMode = 'dense' | 'delta' | 'fallback';

export interface SlotCounters {
  dense: number;
  delta: number;
  fallback: number;
}

export class Slot {
  /** Signature of the last call (kernel, attrs, input shapes/dtypes, constant inputs). */
  signature: string | null = null;
  seeded = false;
  /** A non-finite value went through: re-seed on the next call. */
  poisoned = false;
  outShape: readonly number[] = [];
  /** Version of the output this slot produced last (increments every call). */
  version = 0;
  /** The version at which the output (or the slot's state) last changed: later runs were quiet empty steps. */
  changedVersion = 0;
  /** What it consumed last, per input index: dataId, producing slot and that slot's version. */
  inputDataIds: Array<object | null> = [];
  inputProducers: Array<Slot | null> = [];
  inputVersions: number[] = [];
  /** Data-plane state (buffers); owned by the data plane. */
  plane: unknown = null;

  // stats
  lastFrame = -1;
  lastUse = 0;
  lastMode: RunMode = 'fallback';
  fallbackReason: string | null = null;
  counts: SlotCounters = {dense: 0, delta: 0, fallback: 0};
  activeFraction = 1;
  sumActiveFraction = 0;
  runs = 0;
  denseMacs = 0;
  performedMacs = 0;
  totalDenseMacs = 0;
  totalPerformedMacs = 0;
  /** Runs that replay skipped (accounted as empty delta steps, counted in counts.delta too). */
  skippedRuns = 0;
  /** Share of stale pixels the last delta run reported (a skipped run repeats it: nothing changed). */
  staleFraction = 0;
  /**
   * The configuration of the slot's last run (configure() makes a new object): replay skips a quiet call only under
   * the same one (a plane may re-seed a slot when its thresholds change: delta-webgpu).
   */
  config: object | null = null;
  outputThreshold = 0;
  /** Key that survives reloading the model and a new process (see LayerStats.key). */
  stableKey = '';

  constructor(readonly key: string, readonly name: string, readonly kernel: string) {}
}
