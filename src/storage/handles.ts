/**
 * Bounds the number of open segment files. The active segment of each log holds its descriptor
 * for as long as it is active (pinned); older segments are opened lazily when read and closed,
 * least recently used first, when more than `maxOpen` are open, or when idle longer than a
 * given time (`closeIdle`, run by the log manager). Closing a segment also drops its in-memory
 * indexes, so memory for old segments is bounded the same way.
 */
export interface PooledFile {
  /** Must not be closed now (the active segment, or a read / fsync in flight). */
  readonly pinned: boolean;
  /** Closes the descriptor and drops cached state; reopened on next use. */
  releaseFd(): void;
}

export class HandlePool {
  readonly maxOpen: number;
  /** Open files in least-recently-used order (Map keeps insertion order), with last-use times. */
  readonly #open = new Map<PooledFile, number>();

  constructor(maxOpen = 1024) {
    this.maxOpen = Math.max(1, maxOpen);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Marks `f` as just used (and open), closing the least recently used unpinned files over the bound. */
  touch(f: PooledFile, now = Date.now()): void {
    this.#open.delete(f);
    this.#open.set(f, now);
    if (this.#open.size <= this.maxOpen) return;
    for (const g of this.#open.keys()) {
      if (this.#open.size <= this.maxOpen) break;
      if (g === f || g.pinned) continue;
      this.#open.delete(g);
      g.releaseFd();
    }
  }

  /** Forgets `f` (it closed itself). */
  remove(f: PooledFile): void {
    this.#open.delete(f);
  }

  /** Closes unpinned files not used for `idleMs`. Returns how many were closed. */
  closeIdle(idleMs: number, now = Date.now()): number {
    let n = 0;
    for (const [g, t] of this.#open) {
      if (now - t < idleMs || g.pinned) continue;
      this.#open.delete(g);
      g.releaseFd();
      n++;
    }
    return n;
  }
}
