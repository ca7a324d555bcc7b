/**
 * LogManager: every partition log in one data dir, Kafka's log.dirs layout:
 *
 *   <dir>/meta.properties                       version, node.id, cluster.id
 *   <dir>/recovery-point-offset-checkpoint      "0\n<count>\n<topic> <partition> <offset>\n…"
 *   <dir>/log-start-offset-checkpoint           same format
 *   <dir>/cleaner-offset-checkpoint             same format: the cleaner's first dirty offset per compacted log
 *   <dir>/<topic>-<partition>/00000000000000000000.log|.index|.timeindex, leader-epoch-checkpoint
 *
 * ```ts
 * const mgr = new LogManager({ dir, nodeId, clusterId, configFor: (topic) => LogConfig, logger });
 * await mgr.open();                         // loads every partition dir, bounded concurrency
 * mgr.getLog(topic, p) → Log | undefined
 * await mgr.createLog(topic, p, config) → Log   (LogAlreadyExistsError if present)
 * await mgr.getOrCreateLog(topic, p, config) → Log
 * await mgr.deleteLog(topic, p)             // rename to <topic>-<p>.<id>-delete, remove after file.delete.delay.ms
 * await mgr.checkpoint();                   // writes the checkpoint files (also on a timer and on close)
 * await mgr.runRetention();                 // also on a timer (log.retention.check.interval.ms)
 * await mgr.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import {
  CLEANER_OFFSET_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  readOffsetCheckpoint,
  type TopicPartitionOffset,
  tpKey,
  writeOffsetCheckpoint,
} from './checkpoint.js';
import { Cleaner, type CleanerOptions } from './cleaner.js';
import { defaultLogConfig, type LogConfig } from './config.js';
import { KafkaStorageError, LogAlreadyExistsError, LogClosedError } from './errors.js';
import { atomicWriteFileSync, fsyncDirSync, readFileIfExists } from './fs-util.js';
import { HandlePool } from './handles.js';
import { type Durability, Log } from './log.js';
import type { ProducerStateSeam } from './producer-state.js';

export const META_PROPERTIES = 'meta.properties';
/** Kafka names a deleted partition dir `<topic>-<partition>.<id>-delete`. */
const DELETE_DIR_SUFFIX = '-delete';

export interface LogManagerOptions {
  dir: string;
  /** Per-partition producer state (idempotence/transactions); recovered right after its log opens. */
  producerStateFor?: (topic: string, partition: number) => ProducerStateSeam;
  nodeId?: number;
  clusterId?: string;
  /** Config of an existing topic's logs at open(); default: Kafka defaults. */
  configFor?: (topic: string) => LogConfig;
  logger?: Logger;
  /** Every log's durability mode (see Log). Default 'page-cache'. */
  durability?: Durability;
  /** Bound on open segment files across all logs. Default 1024. */
  maxOpenSegments?: number;
  /** Segment files unused this long are closed (the handle sweep runs with the checkpoint timer). Default 600000. */
  idleSegmentCloseMs?: number;
  /** num.recovery.threads.per.data.dir: logs opened at once by open(). Kafka 4.0 default 2. */
  recoveryConcurrency?: number;
  /** log.flush.offset.checkpoint.interval.ms / log.flush.start.offset.checkpoint.interval.ms. Default 60000. */
  checkpointIntervalMs?: number;
  /** log.retention.check.interval.ms. Default 300000. */
  retentionCheckIntervalMs?: number;
  /** log.cleaner.enable (default true) and the cleaner's bounds. */
  cleaner?: CleanerOptions & { enable?: boolean };
  /** Clock for retention (tests). */
  now?: () => number;
}

interface Entry {
  topic: string;
  partition: number;
  log: Log;
}

/** Parses `<topic>-<partition>` (topic names may contain '-'); null for other names. */
export function parsePartitionDir(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  return { topic: m[1]!, partition: Number(m[2]) };
}

export class LogManager {
  readonly options: LogManagerOptions;
  readonly dir: string;
  readonly handles: HandlePool;
  readonly cleaner: Cleaner;
  #logs = new Map<string, Entry>();
  #creating = new Map<string, Promise<Log>>();
  #recoveryPoints = new Map<string, number>();
  #logStartOffsets = new Map<string, number>();
  /** cleaner-offset-checkpoint as read at open(), seeded into the cleaner as each log opens. */
  #cleanerOffsets = new Map<string, number>();
  #producerStates = new Map<string, ProducerStateSeam>();
  #timers: NodeJS.Timeout[] = [];
  #pendingDirDeletes = new Set<{ path: string; timer: NodeJS.Timeout }>();
  #opened = false;
  #closed = false;
  #checkpointing: Promise<void> = Promise.resolve();
  #meta: Record<string, string> = {};

  constructor(options: LogManagerOptions) {
    this.options = options;
    this.dir = options.dir;
    this.handles = new HandlePool(options.maxOpenSegments ?? 1024);
    this.cleaner = new Cleaner({ ...options.cleaner, logger: options.logger, now: options.now });
  }

  get #logger(): Logger | undefined {
    return this.options.logger;
  }

  /** meta.properties as read or written at open(). */
  get metaProperties(): Readonly<Record<string, string>> {
    return this.#meta;
  }

  /**
   * Loads the data dir: meta.properties (written when absent; a different cluster.id is refused),
   * the checkpoints, then every partition dir with bounded concurrency (each runs recovery), and
   * starts the checkpoint, retention and cleaner timers.
   */
  async open(): Promise<void> {
    if (this.#opened) return;
    this.#opened = true;
    fs.mkdirSync(this.dir, { recursive: true });
    this.#loadMeta();
    for (const e of this.#readCheckpoint(RECOVERY_POINT_CHECKPOINT))
      this.#recoveryPoints.set(tpKey(e.topic, e.partition), e.offset);
    for (const e of this.#readCheckpoint(LOG_START_OFFSET_CHECKPOINT))
      this.#logStartOffsets.set(tpKey(e.topic, e.partition), e.offset);
    for (const e of this.#readCheckpoint(CLEANER_OFFSET_CHECKPOINT))
      this.#cleanerOffsets.set(tpKey(e.topic, e.partition), e.offset);
    const dirs: Array<{ name: string; topic: string; partition: number }> = [];
    for (const d of fs.readdirSync(this.dir, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      if (d.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.#logger?.info({ dir: d.name }, 'removing a partition dir left from a topic deletion');
        await fsp.rm(join(this.dir, d.name), { recursive: true, force: true });
        continue;
      }
      const tp = parsePartitionDir(d.name);
      if (tp) dirs.push({ name: d.name, ...tp });
    }
    const total = dirs.length;
    const started = Date.now();
    let done = 0;
    let next = 0;
    const worker = async () => {
      while (next < dirs.length) {
        const d = dirs[next++]!;
        const log = await this.#openLog(
          d.topic,
          d.partition,
          this.options.configFor?.(d.topic) ?? defaultLogConfig(),
        );
        this.#logs.set(tpKey(d.topic, d.partition), { topic: d.topic, partition: d.partition, log });
        done++;
        if (done === total || done % 100 === 0)
          this.#logger?.info(
            { dir: this.dir, loaded: done, total, ms: Date.now() - started },
            'loading logs',
          );
      }
    };
    const n = Math.max(1, this.options.recoveryConcurrency ?? 2);
    await Promise.all(Array.from({ length: Math.min(n, Math.max(1, total)) }, worker));
    await this.checkpoint();
    this.#startTimers();
  }

  #loadMeta(): void {
    const path = join(this.dir, META_PROPERTIES);
    const text = readFileIfExists(path);
    const meta: Record<string, string> = {};
    if (text !== null) {
      for (const line of text.split('\n')) {
        const t = line.trim();
        if (t === '' || t.startsWith('#')) continue;
        const eq = t.indexOf('=');
        if (eq > 0) meta[t.slice(0, eq)] = t.slice(eq + 1);
      }
      const { clusterId, nodeId } = this.options;
      if (clusterId !== undefined && meta['cluster.id'] !== undefined && meta['cluster.id'] !== clusterId)
        throw new KafkaStorageError(
          `${path}: cluster.id ${meta['cluster.id']} does not match this cluster's ${clusterId}`,
        );
      if (nodeId !== undefined && meta['node.id'] !== undefined && Number(meta['node.id']) !== nodeId)
        throw new KafkaStorageError(
          `${path}: node.id ${meta['node.id']} does not match this broker's ${nodeId}`,
        );
      this.#meta = meta;
      return;
    }
    meta.version = '1';
    if (this.options.nodeId !== undefined) meta['node.id'] = String(this.options.nodeId);
    if (this.options.clusterId !== undefined) meta['cluster.id'] = this.options.clusterId;
    meta['directory.id'] = randomUUID();
    let out = `#\n#${new Date().toString()}\n`;
    for (const [k, v] of Object.entries(meta)) out += `${k}=${v}\n`;
    atomicWriteFileSync(path, out);
    this.#meta = meta;
  }

  #readCheckpoint(name: string): TopicPartitionOffset[] {
    try {
      return readOffsetCheckpoint(join(this.dir, name));
    } catch (err) {
      // Unreadable: every log is recovered from its start (safe, just slower).
      this.#logger?.warn({ err, file: name }, 'ignoring an unreadable checkpoint file');
      return [];
    }
  }

  async #openLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    const key = tpKey(topic, partition);
    const producerState = this.options.producerStateFor?.(topic, partition);
    const opts = {
      producerState,
      logger: this.#logger,
      durability: this.options.durability,
      handles: this.handles,
      now: this.options.now,
      onLogStartOffsetChange: () => this.#scheduleCheckpoint(),
      onTruncate: (l: Log, offset: number) => {
        this.cleaner.truncateCheckpoint(l, offset);
        this.#scheduleCheckpoint();
      },
      recoveryPoint: this.#recoveryPoints.get(key),
      logStartOffset: this.#logStartOffsets.get(key),
    };
    const log = await Log.open(join(this.dir, key), config, opts);
    const cleaned = this.#cleanerOffsets.get(key);
    if (cleaned !== undefined) {
      // Consumed once: a log created again under this name starts dirty.
      this.#cleanerOffsets.delete(key);
      this.cleaner.setCheckpointedOffset(log, cleaned);
    }
    if (producerState) {
      await producerState.recover?.(log);
      this.#producerStates.set(key, producerState);
    }
    return log;
  }

  /** The producer state of an open partition log (see LogManagerOptions.producerStateFor). */
  producerState(topic: string, partition: number): ProducerStateSeam | undefined {
    return this.#producerStates.get(tpKey(topic, partition));
  }

  #startTimers(): void {
    const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
      const t = setInterval(() => {
        fn().catch((err) => this.#logger?.error({ err }, `${what} failed`));
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(
      this.options.checkpointIntervalMs ?? 60_000,
      async () => {
        this.handles.closeIdle(this.options.idleSegmentCloseMs ?? 600_000);
        await this.checkpoint();
      },
      'checkpoint',
    );
    every(this.options.retentionCheckIntervalMs ?? 300_000, () => this.runRetention(), 'retention');
    if (this.options.cleaner?.enable !== false)
      every(this.options.cleaner?.backoffMs ?? 15_000, () => this.runCleaner(), 'log cleaner');
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogClosedError(this.dir);
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.#logs.get(tpKey(topic, partition))?.log;
  }

  /** Every open log with its topic and partition. */
  allLogs(): Array<{ topic: string; partition: number; log: Log }> {
    return [...this.#logs.values()];
  }

  /** Creates the log of a new partition. LogAlreadyExistsError when it exists. */
  async createLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    this.#checkOpen();
    const key = tpKey(topic, partition);
    if (this.#logs.has(key) || this.#creating.has(key))
      throw new LogAlreadyExistsError(`log ${key} already exists`);
    return this.getOrCreateLog(topic, partition, config);
  }

  /** The partition's log, opened or created (with `config`; an existing log gets `config` applied). */
  async getOrCreateLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    this.#checkOpen();
    const key = tpKey(topic, partition);
    const existing = this.#logs.get(key);
    if (existing) {
      existing.log.updateConfig(config);
      return existing.log;
    }
    const inflight = this.#creating.get(key);
    if (inflight) return inflight;
    const p = (async () => {
      const log = await this.#openLog(topic, partition, config);
      fsyncDirSync(this.dir);
      this.#logs.set(key, { topic, partition, log });
      return log;
    })();
    this.#creating.set(key, p);
    try {
      return await p;
    } finally {
      this.#creating.delete(key);
    }
  }

  /**
   * Deletes a partition's log: closes it, renames the dir to `<topic>-<partition>.<id>-delete` (gone
   * from the layout at once) and removes it after file.delete.delay.ms (at open(), leftovers go too).
   */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const key = tpKey(topic, partition);
    const entry = this.#logs.get(key);
    if (!entry) return;
    this.#logs.delete(key);
    this.#recoveryPoints.delete(key);
    this.#logStartOffsets.delete(key);
    this.#producerStates.get(key)?.close?.();
    this.#producerStates.delete(key);
    const delay = entry.log.config.fileDeleteDelayMs;
    await entry.log.close();
    const doomed = join(this.dir, `${key}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`);
    await fsp.rename(entry.log.dir, doomed);
    fsyncDirSync(this.dir);
    const remove = () => fsp.rm(doomed, { recursive: true, force: true });
    if (delay <= 0) await remove();
    else {
      const item = {
        path: doomed,
        timer: setTimeout(() => {
          this.#pendingDirDeletes.delete(item);
          remove().catch((err) => this.#logger?.error({ err, dir: doomed }, 'removing a deleted log failed'));
        }, delay),
      };
      item.timer.unref();
      this.#pendingDirDeletes.add(item);
    }
    await this.checkpoint();
  }

  #checkpointSoon: NodeJS.Timeout | null = null;
  #scheduleCheckpoint(): void {
    if (this.#checkpointSoon || this.#closed) return;
    this.#checkpointSoon = setTimeout(() => {
      this.#checkpointSoon = null;
      this.checkpoint().catch((err) => this.#logger?.error({ err }, 'checkpoint failed'));
    }, 0);
    this.#checkpointSoon.unref();
  }

  /**
   * Writes recovery-point-offset-checkpoint, log-start-offset-checkpoint and cleaner-offset-checkpoint
   * (each atomically); checkpoint writes run one at a time.
   */
  checkpoint(): Promise<void> {
    return this.#serialize(async () => {
      const rps: TopicPartitionOffset[] = [];
      const lsos: TopicPartitionOffset[] = [];
      for (const [key, e] of this.#logs) {
        if (e.log.closed && !this.#closed) continue;
        this.#recoveryPoints.set(key, e.log.recoveryPoint);
        this.#logStartOffsets.set(key, e.log.logStartOffset);
        rps.push({ topic: e.topic, partition: e.partition, offset: e.log.recoveryPoint });
        lsos.push({ topic: e.topic, partition: e.partition, offset: e.log.logStartOffset });
      }
      await writeOffsetCheckpoint(join(this.dir, RECOVERY_POINT_CHECKPOINT), rps);
      await writeOffsetCheckpoint(join(this.dir, LOG_START_OFFSET_CHECKPOINT), lsos);
      await this.#writeCleanerCheckpoint();
    });
  }

  #serialize(run: () => Promise<void>): Promise<void> {
    const p = this.#checkpointing.then(run, run);
    this.#checkpointing = p.catch(() => {});
    return p;
  }

  /**
   * cleaner-offset-checkpoint: the cleaner's first dirty offset of every open log it has one for
   * (so a deleted log's entry is dropped at the next write).
   */
  async #writeCleanerCheckpoint(): Promise<void> {
    const entries: TopicPartitionOffset[] = [];
    for (const e of this.#logs.values()) {
      const offset = this.cleaner.checkpointedOffset(e.log);
      if (offset !== undefined) entries.push({ topic: e.topic, partition: e.partition, offset });
    }
    await writeOffsetCheckpoint(join(this.dir, CLEANER_OFFSET_CHECKPOINT), entries);
  }

  /** Retention over every log (deleteOldSegments). Returns segments deleted. */
  async runRetention(): Promise<number> {
    let n = 0;
    for (const e of [...this.#logs.values()]) {
      if (e.log.closed) continue;
      try {
        n += await e.log.deleteOldSegments();
      } catch (err) {
        this.#logger?.error({ err, topic: e.topic, partition: e.partition }, 'retention failed');
      }
    }
    if (n > 0) await this.checkpoint();
    return n;
  }

  /** One cleaner pass over the compacted logs, then cleaner-offset-checkpoint. Returns how many logs were cleaned. */
  async runCleaner(): Promise<number> {
    const n = await this.cleaner.cleanAll(this.allLogs());
    if (n > 0 && !this.#closed) await this.#serialize(() => this.#writeCleanerCheckpoint());
    return n;
  }

  /** Stops the timers, closes every log (flushing it), writes the checkpoints. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (this.#checkpointSoon) clearTimeout(this.#checkpointSoon);
    await this.cleaner.stop();
    for (const c of [...this.#creating.values()]) await c.catch(() => {});
    for (const e of this.#logs.values()) {
      try {
        await e.log.close();
      } catch (err) {
        this.#logger?.error({ err, topic: e.topic, partition: e.partition }, 'closing log failed');
      }
    }
    this.#closed = true;
    await this.checkpoint();
    for (const d of this.#pendingDirDeletes) {
      clearTimeout(d.timer);
      await fsp.rm(d.path, { recursive: true, force: true });
    }
    this.#pendingDirDeletes.clear();
  }
}
