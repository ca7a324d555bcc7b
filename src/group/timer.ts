/**
 * The coordinator's only view of time: a clock plus keyed one-shot tasks. Scheduling a key that is
 * already scheduled replaces it, which is how session timeouts are "refreshed" by heartbeats.
 * SystemTimer runs on the event loop; ManualTimer lets tests and simulations move time by hand.
 */
export interface GroupTimer {
  now(): number;
  schedule(key: string, delayMs: number, task: () => void): void;
  cancel(key: string): void;
  /** Cancels everything (coordinator shutdown). */
  close(): void;
}

export class SystemTimer implements GroupTimer {
  readonly #tasks = new Map<string, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancel(key);
    const handle = setTimeout(
      () => {
        this.#tasks.delete(key);
        task();
      },
      Math.max(0, delayMs),
    );
    handle.unref();
    this.#tasks.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.#tasks.get(key);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.#tasks.delete(key);
    }
  }

  close(): void {
    for (const handle of this.#tasks.values()) clearTimeout(handle);
    this.#tasks.clear();
  }
}

interface ManualTask {
  deadline: number;
  seq: number;
  task: () => void;
}

export class ManualTimer implements GroupTimer {
  #now: number;
  #seq = 0;
  readonly #tasks = new Map<string, ManualTask>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  schedule(key: string, delayMs: number, task: () => void): void {
    this.#tasks.set(key, { deadline: this.#now + Math.max(0, delayMs), seq: this.#seq++, task });
  }

  cancel(key: string): void {
    this.#tasks.delete(key);
  }

  close(): void {
    this.#tasks.clear();
  }

  isScheduled(key: string): boolean {
    return this.#tasks.has(key);
  }

  /** Moves time forward, running every task that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextKey: string | undefined;
      let next: ManualTask | undefined;
      for (const [key, t] of this.#tasks) {
        if (t.deadline > target) continue;
        if (
          next === undefined ||
          t.deadline < next.deadline ||
          (t.deadline === next.deadline && t.seq < next.seq)
        ) {
          next = t;
          nextKey = key;
        }
      }
      if (next === undefined || nextKey === undefined) break;
      this.#tasks.delete(nextKey);
      this.#now = Math.max(this.#now, next.deadline);
      next.task();
    }
    this.#now = target;
  }
}
