/**
 * Process-wide state shared by every copy of this module (ESM and CJS entry points, or two installs
 * loaded side by side): the configuration and the live engines.
 */
import {DEFAULT_CONFIG, DeltaConfig} from './config';
import type {DeltaEngine} from './engine';

interface GlobalState {
  config: DeltaConfig;
  engines: Set<DeltaEngine>;
  /** The thresholds file last applied with loadThresholds() (for warnings). */
  loadedThresholds?: {source: string; fingerprint: string; keys: string[]} | null;
}

const KEY = Symbol.for('tfjs-backend-delta.state');

export function globalState(): GlobalState {
  const g = globalThis as unknown as Record<symbol, GlobalState | undefined>;
  let st = g[KEY];
  if (!st) {
    st = {config: {...DEFAULT_CONFIG, thresholds: {}}, engines: new Set()};
    g[KEY] = st;
  }
  return st;
}
