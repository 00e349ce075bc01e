/**
 * Device-side counts of delta steps, read back without a readback per layer.
 *
 * Every step takes a fresh 64-byte entry (COUNTER words: candidates, propagated pixels, MACs, NaN flag,
 * changed pixels per input) in a page of the ring: pages are zeroed once when made (one fill), kernels add
 * to their step's entry. The host gets the words two ways:
 *  - asynchronously: every BATCH steps, one stream-ordered copy of the entries written since the last one
 *    goes to pinned host memory (deltaCountersAsync); later steps poll it (deltaCountersPoll, never waits),
 *    so the previous frame's counts are on the host during the next one without any sync (the cost model
 *    of the plane reads them);
 *  - synchronously: settle() (the engine's settleStats) downloads whatever is still pending, and take()
 *    does so for the oldest page when too many full pages wait (one sync per PAGE_ENTRIES steps at worst).
 * Each entry's callback runs once with its words, then its promise (PlaneResult.deferredCounts) resolves.
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
  onWords: ((words: Uint32Array) => void) | null;
  resolve(words: Uint32Array): void;
  reject(e: unknown): void;
}

export class CounterPage {
  static readonly ENTRIES = 1024;
  used = 0;
  /** Entries [0, copied) have an async copy issued. */
  copied = 0;
  freed = false;
  readonly pending: Pending[] = [];
  /** Async copies in flight. */
  inFlight = 0;
  constructor(readonly handle: Handle) {}
}

interface Ticket {
  readonly id: number;
  readonly page: CounterPage;
  readonly from: number;
  readonly to: number;
}

export class CounterRing {
  private current: CounterPage | null = null;
  /**
   * The page filled before the current one: kept even when all its entries are delivered, because an update made
   * in it may still be consumed by a later step of the same frame (a freed page made that step give up and the
   * engine re-seed its slot: seen once in 8,000 fuzz cases on the H100, where async copies finish fast).
   */
  private previous: CounterPage | null = null;
  /** Pages with entries not read back yet (the current one included). */
  private readonly unsettled: CounterPage[] = [];
  private readonly tickets: Ticket[] = [];
  /** Full pages may wait this long before a take() reads the oldest back. */
  static readonly MAX_WAITING = 4;
  /** Steps between two async copies. */
  static readonly BATCH = 16;
  /** Pages made, async copies issued, synchronous page downloads (tests and benchmarks). */
  readonly stats = {pages: 0, asyncCopies: 0, syncReads: 0};

  constructor(private readonly addon: DeltaAddon) {}

  /** Device buffers the ring holds now: 1 .. MAX_WAITING + 1 pages, by where the page boundaries fall. */
  livePages(): number {
    return this.unsettled.length;
  }

  /** A zeroed entry for one step; `onWords` runs with its words once they are on the host. */
  take(onWords: ((words: Uint32Array) => void) | null = null): {entry: CounterEntry; words: Promise<Uint32Array>} {
    this.poll();
    let page = this.current;
    if (!page || page.used === CounterPage.ENTRIES) {
      if (page) this.copyAsync(page);
      const bytes = CounterPage.ENTRIES * COUNTER.BYTES;
      const old = this.previous;
      this.previous = page;
      page = new CounterPage(this.addon.alloc(bytes));
      this.addon.deltaFill(page.handle, 0, bytes, 0);
      this.stats.pages++;
      this.current = page;
      if (old) this.retireIfDone(old);
      this.unsettled.push(page);
      while (this.unsettled.length > CounterRing.MAX_WAITING) this.readBack(this.unsettled[0]);
    }
    const index = page.used++;
    const entry = {page, handle: page.handle, offset: index * COUNTER.BYTES};
    const words = new Promise<Uint32Array>((resolve, reject) => page!.pending.push({index, onWords, resolve, reject}));
    return {entry, words};
  }

  /** Called after a step's launches: issues an async copy every BATCH steps. */
  afterStep(): void {
    const page = this.current;
    if (page && page.used - page.copied >= CounterRing.BATCH) this.copyAsync(page);
  }

  private copyAsync(page: CounterPage) {
    if (page.freed || page.used === page.copied) return;
    const from = page.copied, to = page.used;
    const id = this.addon.deltaCountersAsync(page.handle, from * COUNTER.BYTES, (to - from) * COUNTER.BYTES);
    page.copied = to;
    page.inFlight++;
    this.tickets.push({id, page, from, to});
    this.stats.asyncCopies++;
  }

  /** Issues the async copy of the current page's entries not copied yet (no wait). */
  flush(): void {
    if (this.current) this.copyAsync(this.current);
  }

  /** Delivers the words of finished async copies (never waits). */
  poll(): void {
    for (let i = 0; i < this.tickets.length;) {
      const t = this.tickets[i];
      const words = new Uint32Array((t.to - t.from) * COUNTER.WORDS);
      if (!this.addon.deltaCountersPoll(t.id, words)) { i++; continue; }
      this.tickets.splice(i, 1);
      t.page.inFlight--;
      this.deliver(t.page, t.from, t.to, words);
      this.retireIfDone(t.page);
    }
  }

  private deliver(page: CounterPage, from: number, to: number, words: Uint32Array) {
    const done: Pending[] = [];
    for (let i = 0; i < page.pending.length;) {
      const p = page.pending[i];
      if (p.index >= from && p.index < to) {
        done.push(p);
        page.pending.splice(i, 1);
      } else {
        i++;
      }
    }
    for (const p of done) {
      const w = words.slice((p.index - from) * COUNTER.WORDS, (p.index - from + 1) * COUNTER.WORDS);
      p.onWords?.(w);
      p.resolve(w);
    }
  }

  /** A full page whose entries are all delivered is freed. */
  private retireIfDone(page: CounterPage) {
    if (page === this.current || page === this.previous || page.freed || page.pending.length || page.inFlight) return;
    this.unsettled.splice(this.unsettled.indexOf(page), 1);
    page.freed = true;
    this.addon.free(page.handle);
  }

  /** Reads every pending entry back (waits for the stream) and frees full pages. */
  settle(): void {
    this.poll();
    for (const page of [...this.unsettled]) this.readBack(page);
  }

  private readBack(page: CounterPage) {
    if (page.pending.length) {
      const words = new Uint32Array(page.used * COUNTER.WORDS);
      try {
        this.addon.download(page.handle, words);  // stream-ordered: also completes this page's async copies
      } catch (e) {
        for (const p of page.pending.splice(0)) p.reject(e);
        throw e;
      }
      this.stats.syncReads++;
      this.deliver(page, 0, page.used, words);
    }
    this.poll();  // the download waited for the stream: in-flight copies are done
    if (page !== this.current && page !== this.previous && !page.freed) {
      // full: no step writes it again (a consumer of an update in it checks `freed`)
      this.tickets.filter((t) => t.page === page).forEach((t) => {
        const words = new Uint32Array((t.to - t.from) * COUNTER.WORDS);
        this.addon.deltaCountersPoll(t.id, words);  // done (stream synchronized): release the ticket
        this.tickets.splice(this.tickets.indexOf(t), 1);
        page.inFlight--;
      });
      this.unsettled.splice(this.unsettled.indexOf(page), 1);
      page.freed = true;
      this.addon.free(page.handle);
    }
  }

  /** Frees every page; pending promises are rejected (the plane is gone). */
  dispose(): void {
    this.addon.synchronize();
    this.poll();
    for (const page of this.unsettled) {
      for (const p of page.pending.splice(0)) p.reject(new Error('delta-cuda: plane disposed'));
      if (!page.freed) {
        page.freed = true;
        this.addon.free(page.handle);
      }
    }
    this.unsettled.length = 0;
    this.current = null;
    this.previous = null;
  }

  /** Device buffers held. */
  buffers(): number {
    return this.unsettled.filter((p) => !p.freed).length;
  }
}

/** MACs of a counter entry (a uint64 in words 2-3). */
export function macsOf(words: Uint32Array): number {
  return words[COUNTER.MACS] + words[COUNTER.MACS + 1] * 2 ** 32;
}
