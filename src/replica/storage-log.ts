import type { BrokerConfig } from '../cluster/config.js';
import type { TopicMetadata } from '../cluster/metadata-store.js';
import { logConfigFor } from '../cluster/topic-config.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { LogConfig } from '../storage/config.js';
import {
  CorruptRecordError,
  KafkaStorageError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  StorageError,
} from '../storage/errors.js';
import type { Log } from '../storage/log.js';
import type { LogManager } from '../storage/log-manager.js';
import {
  type AbortedTxnRange,
  DuplicateBatchError,
  type ProducerStateSeam,
} from '../storage/producer-state.js';
import type { AppendInfo, PartitionLog, ReadInfo, TimestampOffset } from './partition-log.js';

/** The storage Log as this adapter uses it (its documented API). */
interface StorageLog {
  readonly config: LogConfig;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly size: number;
  append(
    records: Buffer,
    options: { appendTime?: number; leaderEpoch?: number },
  ): Promise<{ firstOffset: number; lastOffset: number; appendTime: number; logStartOffset: number }>;
  read(
    fromOffset: number,
    maxBytes: number,
    upToOffset?: number,
    minOneMessage?: boolean,
  ): Promise<{ records: Buffer[]; bytes: number }>;
  offsetForTimestamp(ts: number): Promise<TimestampOffset | null>;
  offsetOfMaxTimestamp(): Promise<TimestampOffset | null>;
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number };
  deleteRecordsBefore(offset: number): Promise<number>;
  updateConfig(config: LogConfig): void;
  flush(): Promise<void>;
}

interface StorageLogManager {
  getOrCreateLog(topic: string, partition: number, config: LogConfig): Promise<Log>;
  producerState?(topic: string, partition: number): ProducerStateSeam | undefined;
  deleteLog(topic: string, partition: number): Promise<void>;
}

/** Storage failures mapped to Kafka's codes, once, at the replica boundary. */
function mapStorageError(err: unknown): never {
  if (err instanceof OffsetOutOfRangeError) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, err.message);
  if (err instanceof CorruptRecordError) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, err.message);
  if (err instanceof RecordBatchTooLargeError) throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, err.message);
  if (err instanceof KafkaStorageError) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
  if (err instanceof StorageError) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, err.message);
  throw err;
}

interface StorageAppendResult {
  firstOffset: number;
  lastOffset: number;
  appendTime: number;
  logStartOffset: number;
}

function toAppendInfo(r: StorageAppendResult): AppendInfo {
  return {
    firstOffset: r.firstOffset,
    lastOffset: r.lastOffset,
    logAppendTime: r.appendTime,
    logStartOffset: r.logStartOffset,
  };
}

/** One partition's storage Log seen as a PartitionLog. */
class StorageLogAdapter implements PartitionLog {
  readonly #log: StorageLog;
  readonly #manager: StorageLogManager;
  readonly #topic: string;
  readonly #partition: number;
  #state: ProducerStateSeam | null | undefined = undefined;

  constructor(log: StorageLog, manager: StorageLogManager, topic: string, partition: number) {
    this.#log = log;
    this.#manager = manager;
    this.#topic = topic;
    this.#partition = partition;
  }

  get logStartOffset(): number {
    return this.#log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.#log.logEndOffset;
  }
  get sizeInBytes(): number {
    return this.#log.size;
  }
  get config(): LogConfig {
    return this.#log.config;
  }

  append(
    batches: Buffer,
    leaderEpoch: number,
    appendTime: number | null,
    onAppended?: (info: AppendInfo) => void,
  ): Promise<AppendInfo> {
    // Without an append time the log reads its clock only when it needs one (LogAppendTime, a
    // time-based roll): one Date.now() less per produce request.
    const appending = this.#log.append(
      batches,
      appendTime === null ? { leaderEpoch } : { leaderEpoch, appendTime },
    );
    if (onAppended === undefined) return appending.then(toAppendInfo, this.#onAppendError);
    // The partition passes the same listener every time: its two callbacks are made once.
    if (this.#listener !== onAppended) {
      this.#listener = onAppended;
      this.#settled = [
        (r) => {
          const info = toAppendInfo(r);
          onAppended(info);
          return info;
        },
        (err) => {
          const info = this.#onAppendError(err);
          onAppended(info);
          return info;
        },
      ];
    }
    return appending.then(this.#settled![0], this.#settled![1]);
  }

  #listener: ((info: AppendInfo) => void) | null = null;
  #settled: [(r: StorageAppendResult) => AppendInfo, (err: unknown) => AppendInfo] | null = null;

  readonly #onAppendError = (err: unknown): AppendInfo => {
    // A retried batch the producer state already holds: acknowledged with its original offsets.
    if (err instanceof DuplicateBatchError)
      return {
        firstOffset: err.firstOffset,
        lastOffset: err.lastOffset,
        logAppendTime: -1,
        logStartOffset: this.#log.logStartOffset,
      };
    mapStorageError(err);
  };

  /** The log's producer state, looked up once (fetch asks for the last stable offset on every read). */
  #producerState(): ProducerStateSeam | undefined {
    this.#state ??= this.#manager.producerState?.(this.#topic, this.#partition) ?? null;
    return this.#state ?? undefined;
  }

  firstUnstableOffset(): number | null {
    return this.#producerState()?.firstUnstableOffset?.() ?? null;
  }

  abortedTransactions(from: number, upTo: number): AbortedTxnRange[] {
    return this.#producerState()?.abortedTransactions?.(from, upTo) ?? [];
  }

  async read(offset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadInfo> {
    try {
      const r = await this.#log.read(offset, maxBytes, maxOffset, minOneMessage);
      return { records: r.records, bytes: r.bytes };
    } catch (err) {
      mapStorageError(err);
    }
  }

  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    return this.#log.offsetForTimestamp(timestamp).catch(mapStorageError);
  }

  maxTimestampOffset(): Promise<TimestampOffset | null> {
    return this.#log.offsetOfMaxTimestamp().catch(mapStorageError);
  }

  deleteRecordsBefore(offset: number): Promise<number> {
    return this.#log.deleteRecordsBefore(offset).catch(mapStorageError);
  }

  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.#log.endOffsetForEpoch(epoch);
  }

  updateConfig(config: LogConfig): void {
    this.#log.updateConfig(config);
  }

  flush(): Promise<void> {
    return this.#log.flush();
  }

  /** The log manager closes every log (and writes the checkpoints) when the broker stops. */
  async close(): Promise<void> {}

  delete(): Promise<void> {
    return this.#manager.deleteLog(this.#topic, this.#partition);
  }
}

export async function openStorageLog(
  manager: LogManager,
  topic: TopicMetadata,
  partition: number,
  config: BrokerConfig,
): Promise<PartitionLog> {
  const mgr = manager as unknown as StorageLogManager;
  const log = (await mgr.getOrCreateLog(
    topic.name,
    partition,
    logConfigFor(topic.configs, config),
  )) as unknown as StorageLog;
  return new StorageLogAdapter(log, mgr, topic.name, partition);
}

export function reconfigureStorageLog(log: PartitionLog, topic: TopicMetadata, config: BrokerConfig): void {
  if (log instanceof StorageLogAdapter) log.updateConfig(logConfigFor(topic.configs, config));
}
