/**
 * Stable layer keys: a hash of a weight tensor's contents (FNV-1a 64), so that thresholds keyed by it
 * survive reloading the model and a new process.
 */

/** FNV-1a 64 over bytes, continuing from `state` (4 little-endian 16-bit limbs). */
function fnv1a64(bytes: Uint8Array, state: number[]): void {
  let h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3];
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i];
    // h *= 0x100000001b3 (mod 2^64): limbs of the prime are [0x1b3, 0, 0x100, 0].
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff; h1 = t1 & 0xffff; h2 = t2 & 0xffff; h3 = t3 & 0xffff;
  }
  state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3;
}

const hex4 = (v: number) => v.toString(16).padStart(4, '0');

/** FNV-1a 64 (hex, 16 digits) of a string and optionally a typed array's bytes. */
export function fnvHex(text: string, values?: ArrayBufferView | null): string {
  const state = [0x2325, 0x8422, 0x9ce4, 0xcbf2];   // offset basis 0xcbf29ce484222325
  fnv1a64(new TextEncoder().encode(text), state);
  if (values) fnv1a64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), state);
  return hex4(state[3]) + hex4(state[2]) + hex4(state[1]) + hex4(state[0]);
}

/** The content hash of a weight tensor: its dtype/shape text and its values' bytes. */
export function contentHash(values: ArrayBufferView | null, dtypeShape: string): string {
  return fnvHex(dtypeShape, values);
}

/** Whether a thresholds key is a slot name ("<index>:<kernel>") rather than a stable key. */
export function isSlotName(key: string): boolean {
  return /^[0-9]+:[A-Za-z0-9_]+$/.test(key);
}
