/**
 * Device-side counts of delta steps, read back without a readback per layer.
 *
 * Every step takes a fresh 64-byte entry (COUNTER words: candidates, propagated pixels, MACs, NaN flag,
 * changed pixels per input) in a page of the ring: pages are zeroed once when made (one fill), kernels add
 * to their step's entry, and the host downloads a whole page at once: when settle() is called (the
 * engine's settleStats), or when too many full pages wait (one stream sync per PAGE_ENTRIES steps). Each
 * step's promise (PlaneResult.deferredCounts) resolves from its entry.
 */
import type {Handle} from '../native';
import {COUNTER, DeltaAddon} from './addon';

export interface CounterEntry {
  readonly page: CounterPage;
  readonly handle: Handle;
  /** Byte offset of the entry in the page buffer. */
  readonly offset: number;
}

interface Pending {
  readonly index: number;
  resolve(words: Uint32Array): void;
  reject(e: unknown): void;
}

export class CounterPage {
  static readonly ENTRIES = 1024;
  used = 0;
  freed = false;
  readonly pending: Pending[] = [];
  constructor(readonly handle: Handle) {}
}

export class CounterRing {
  private current: CounterPage | null = null;
  /** Pages with entries not read back yet (the current one included). */
  private readonly unsettled: CounterPage[] = [];
  /** Full pages may wait this long before a take() reads the oldest back. */
  static readonly MAX_WAITING = 4;
  /** Pages made (test and benchmark counter). */
  pagesMade = 0;

  constructor(private readonly addon: DeltaAddon) {}

  /** A zeroed entry for one step. */
  take(): CounterEntry {
    let page = this.current;
    if (!page || page.used === CounterPage.ENTRIES) {
      const bytes = CounterPage.ENTRIES * COUNTER.BYTES;
      page = new CounterPage(this.addon.alloc(bytes));
      this.addon.deltaFill(page.handle, 0, bytes, 0);
      this.pagesMade++;
      this.current = page;
      this.unsettled.push(page);
      while (this.unsettled.length > CounterRing.MAX_WAITING) this.readBack(this.unsettled[0]);
    }
    const index = page.used++;
    return {page, handle: page.handle, offset: index * COUNTER.BYTES};
  }

  /** The words of entry `e` once it is read back (the promise never resolves before the step ran). */
  whenRead(e: CounterEntry): Promise<Uint32Array> {
    return new Promise((resolve, reject) => e.page.pending.push({index: e.offset / COUNTER.BYTES, resolve, reject}));
  }

  /** Reads every pending entry back (waits for the stream) and frees full pages. */
  settle(): void {
    for (const page of [...this.unsettled]) this.readBack(page);
  }

  private readBack(page: CounterPage) {
    const pending = page.pending.splice(0);
    if (pending.length) {
      const words = new Uint32Array(page.used * COUNTER.WORDS);
      try {
        this.addon.download(page.handle, words);
      } catch (e) {
        for (const p of pending) p.reject(e);
        throw e;
      }
      for (const p of pending) p.resolve(words.subarray(p.index * COUNTER.WORDS, (p.index + 1) * COUNTER.WORDS));
    }
    if (page !== this.current) {
      // full: no step writes it again (a consumer of an update in it checks `freed`)
      this.unsettled.splice(this.unsettled.indexOf(page), 1);
      page.freed = true;
      this.addon.free(page.handle);
    }
  }

  /** Frees every page; pending promises are rejected (the plane is gone). */
  dispose(): void {
    for (const page of this.unsettled) {
      for (const p of page.pending.splice(0)) p.reject(new Error('delta-cuda: plane disposed'));
      if (!page.freed) {
        page.freed = true;
        this.addon.free(page.handle);
      }
    }
    this.unsettled.length = 0;
    this.current = null;
  }

  /** Device buffers held (for bufferCount). */
  buffers(): number {
    return this.unsettled.filter((p) => !p.freed).length;
  }
}

/** MACs of a counter entry (a uint64 in words 2-3). */
export function macsOf(words: Uint32Array): number {
  return words[COUNTER.MACS] + words[COUNTER.MACS + 1] * 2 ** 32;
}
