/**
 * Where Fetch requests with nothing (or not enough) to return wait: until an append moves
 * the high watermark of one of their partitions, or their max_wait_ms passes. Waking is by
 * partition, so an append wakes exactly the fetches parked on it.
 */

/** Most fetches parked at once; beyond it a fetch is answered at once with what there is. */
export const FETCH_PURGATORY_MAX = 10_000;

interface Waiter {
  readonly keys: readonly string[];
  readonly resolve: () => void;
  timer: NodeJS.Timeout | null;
}

export class FetchPurgatory {
  readonly #byKey = new Map<string, Set<Waiter>>();
  #count = 0;
  #closed = false;
  readonly #max: number;

  constructor(max = FETCH_PURGATORY_MAX) {
    this.#max = max;
  }

  get size(): number {
    return this.#count;
  }

  /**
   * Waits until one of `keys` is woken or `waitMs` passes. Returns false at once when the
   * purgatory is full (the caller answers with what it has).
   */
  park(keys: readonly string[], waitMs: number): Promise<boolean> | false {
    if (this.#closed || this.#count >= this.#max || waitMs <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        keys,
        timer: null,
        resolve: () => {
          this.#remove(waiter);
          resolve(true);
        },
      };
      waiter.timer = setTimeout(() => {
        this.#remove(waiter);
        resolve(true);
      }, waitMs);
      this.#count++;
      for (const k of keys) {
        let set = this.#byKey.get(k);
        if (!set) {
          set = new Set();
          this.#byKey.set(k, set);
        }
        set.add(waiter);
      }
    });
  }

  #remove(waiter: Waiter): void {
    if (waiter.timer === null) return;
    clearTimeout(waiter.timer);
    waiter.timer = null;
    this.#count--;
    for (const k of waiter.keys) {
      const set = this.#byKey.get(k);
      if (!set) continue;
      set.delete(waiter);
      if (set.size === 0) this.#byKey.delete(k);
    }
  }

  /** Wakes every fetch parked on `key`. */
  wake(key: string): void {
    const set = this.#byKey.get(key);
    if (!set) return;
    for (const w of [...set]) w.resolve();
  }

  /** Wakes everything and parks nothing more (shutdown). */
  close(): void {
    this.#closed = true;
    this.wakeAll();
  }

  wakeAll(): void {
    for (const set of [...this.#byKey.values()]) for (const w of [...set]) w.resolve();
  }
}
