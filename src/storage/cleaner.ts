/**
 * Log cleaner (compaction) for cleanup.policy=compact. Placeholder until the record iterator and
 * builder of src/protocol/records land; see docs/storage.md.
 */
import type { Logger } from '../core/log.js';
import type { Log } from './log.js';

export interface CleanerOptions {
  /** log.cleaner.backoff.ms: pause between passes. */
  backoffMs?: number;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
}

export class Cleaner {
  readonly options: CleanerOptions;
  constructor(options: CleanerOptions = {}) {
    this.options = options;
  }
  async cleanAll(_logs: ReadonlyArray<{ topic: string; partition: number; log: Log }>): Promise<number> {
    return 0;
  }
  async stop(): Promise<void> {}
}
