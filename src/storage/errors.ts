/**
 * Typed errors of the storage layer. The handler layer maps each to a Kafka error code once, at its
 * boundary (the code each one maps to is named in its doc comment). Invariant violations are not here:
 * they are `AssertionError` from src/core/assert.ts and mean a bug in Gregor.
 */

/** Base class: every error the storage layer throws on purpose is a StorageError. */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** A read or lookup outside [logStartOffset, logEndOffset]. Kafka: OFFSET_OUT_OF_RANGE (1). */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(offset: number, logStartOffset: number, logEndOffset: number, dir = '') {
    super(`offset ${offset} is outside [${logStartOffset}, ${logEndOffset}] of log ${dir}`);
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** A batch failed validation (length, magic, CRC-32C, offsets). Kafka: CORRUPT_MESSAGE (2). */
export class CorruptRecordError extends StorageError {
  override name = 'CorruptRecordError';
  readonly position: number;
  constructor(message: string, position = -1) {
    super(message);
    this.position = position;
  }
}

/** A batch larger than max.message.bytes. Kafka: RECORD_BATCH_TOO_LARGE (18) / MESSAGE_TOO_LARGE (10). */
export class RecordBatchTooLargeError extends StorageError {
  override name = 'RecordBatchTooLargeError';
  readonly size: number;
  readonly max: number;
  constructor(size: number, max: number, limit = 'max.message.bytes') {
    super(`record batch of ${size} bytes is larger than ${limit} ${max}`);
    this.size = size;
    this.max = max;
  }
}

/**
 * A follower append whose offsets do not follow the log end offset, or are not increasing.
 * Kafka: the follower treats it as UNKNOWN_SERVER_ERROR (a bug or a divergent leader).
 */
export class UnexpectedAppendOffsetError extends StorageError {
  override name = 'UnexpectedAppendOffsetError';
  readonly firstOffset: number;
  readonly logEndOffset: number;
  constructor(message: string, firstOffset: number, logEndOffset: number) {
    super(message);
    this.firstOffset = firstOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** An I/O failure (EIO, ENOSPC, EACCES …) on a log file. Kafka: KAFKA_STORAGE_ERROR (56). */
export class KafkaStorageError extends StorageError {
  override name = 'KafkaStorageError';
  constructor(message: string, cause?: unknown) {
    super(cause instanceof Error ? `${message}: ${cause.message}` : message, { cause });
  }
}

/** The log was closed or deleted. Kafka: NOT_LEADER_OR_FOLLOWER (6) — the partition is gone from here. */
export class LogClosedError extends StorageError {
  override name = 'LogClosedError';
  constructor(dir: string) {
    super(`log ${dir} is closed`);
  }
}

/** createLog for a partition that already exists. Kafka: TOPIC_ALREADY_EXISTS (36) at the handler layer. */
export class LogAlreadyExistsError extends StorageError {
  override name = 'LogAlreadyExistsError';
}

/** A topic config value that does not parse or is out of range. Kafka: INVALID_CONFIG (40). */
export class InvalidConfigError extends StorageError {
  override name = 'InvalidConfigError';
  readonly key: string;
  readonly value: string | undefined;
  readonly reason: string;
  constructor(key: string, value: string | undefined, reason: string) {
    super(
      `Invalid value ${value === undefined ? '(none)' : JSON.stringify(value)} for configuration ${key}: ${reason}`,
    );
    this.key = key;
    this.value = value;
    this.reason = reason;
  }
}

/** Wraps a node:fs error as a KafkaStorageError naming the operation and file. */
export function ioError(op: string, path: string, cause: unknown): KafkaStorageError {
  return new KafkaStorageError(`${op} ${path} failed`, cause);
}
