import {
  BatchAttributes,
  BatchOffsets,
  Compression,
  type CompressionType,
  CURRENT_MAGIC,
  computeCrc,
  LOG_OVERHEAD,
  NO_TIMESTAMP,
  RECORD_BATCH_OVERHEAD,
  readInt64,
} from './batch.js';
import { RecordBatchError, type RecordErrorName } from './errors.js';

/**
 * Header-only validation of a Produce request's `records` (and of other appends), with the error
 * code a Kafka 4.0 broker answers for the same bytes. Touches the 61-byte header of each batch and
 * runs the CRC-32C over it; never decodes or decompresses a record, and allocates nothing per
 * batch but the Buffer view the native CRC call needs. See docs/records.md for every check and
 * where Kafka does it.
 */

/**
 * Who is appending, as Kafka's AppendOrigin:
 * - `client`: a Produce request. Exactly one batch, baseOffset 0, records count consistent with
 *   lastOffsetDelta, no control batches, a sequence when there is a producer id.
 * - `coordinator`: the broker's own writes (transaction markers, group and transaction state):
 *   exactly one batch, control batches allowed, offsets not checked.
 * - `replication`: a follower appending what it fetched: any number of batches with the leader's
 *   offsets, and a partial batch at the end (a fetch may cut one) is left out of `bytes`.
 */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

/** The topic configs validation reads. Storage's LogConfig has these fields by these names. */
export interface RecordsConfig {
  /** max.message.bytes: largest batch, whole (with its 12-byte log overhead). */
  maxMessageBytes: number;
  /** segment.bytes: all the records of one append must fit in one segment. */
  segmentBytes?: number;
  /** message.timestamp.type (default CreateTime). */
  messageTimestampType?: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be. */
  messageTimestampBeforeMaxMs?: number;
  /** message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be. */
  messageTimestampAfterMaxMs?: number;
}

export interface ValidateContext {
  /** Default `client`. */
  origin?: AppendOrigin;
  /** The Produce request's version: zstd needs v7+. Default: any codec. */
  produceVersion?: number;
  /** The broker's clock for the timestamp bounds (ms). Default Date.now(), read only when needed. */
  now?: number;
}

export interface ValidRecords {
  ok: true;
  batchCount: number;
  /** Sum of the batches' recordsCount. */
  recordCount: number;
  /** Bytes of whole batches: all of `records`, except a trailing partial batch on replication. */
  bytes: number;
  /** baseOffset of the first batch (0 from a client), -1 when there is no batch. */
  firstOffset: number;
  /** baseOffset + lastOffsetDelta of the last batch (from a client: lastOffsetDelta), else -1. */
  lastOffset: number;
  /** Largest maxTimestamp of the headers, -1 if none. */
  maxTimestamp: number;
  /** lastOffset of the first batch holding maxTimestamp (Kafka's shallowOffsetOfMaxTimestamp), else -1. */
  offsetOfMaxTimestamp: number;
  /** Producer fields of the first batch (-1 when not idempotent). */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Attributes of the first batch. */
  transactional: boolean;
  control: boolean;
  compression: CompressionType;
}

export interface InvalidRecords {
  ok: false;
  /** error.code is the Kafka error code for the partition's response, error.message says why. */
  error: RecordBatchError;
}

export type ValidationResult = ValidRecords | InvalidRecords;

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headers count. */
const MIN_RECORD_SIZE = 7;
const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
/** Kafka's "no bound" (Long.MAX_VALUE) is Number.MAX_SAFE_INTEGER inside Gregor. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;
/** Produce v7 introduced zstd. */
const ZSTD_MIN_PRODUCE_VERSION = 7;

function fail(name: RecordErrorName, message: string): InvalidRecords {
  return { ok: false, error: new RecordBatchError(name, message) };
}

/**
 * Validates `records` (one or more concatenated magic-2 batches) by their headers, in the order a
 * Kafka broker checks them, and returns what the append needs to know, or the first failure.
 */
export function validateRecords(
  records: Buffer,
  config: RecordsConfig,
  context: ValidateContext = {},
): ValidationResult {
  const origin = context.origin ?? 'client';
  const fromClient = origin === 'client';
  const end = records.length;

  // Pass 1, framing (Kafka's batch iterator): lengths, magic, and where whole batches end.
  let bytes = 0;
  let batchCount = 0;
  while (bytes < end) {
    const remaining = end - bytes;
    if (remaining >= LOG_OVERHEAD) {
      const batchLength = records.readInt32BE(bytes + BatchOffsets.batchLength);
      if (batchLength < MIN_BATCH_LENGTH)
        return fail(
          'CORRUPT_MESSAGE',
          `record batch at byte ${bytes} has batchLength ${batchLength}, below the minimum ${MIN_BATCH_LENGTH}`,
        );
      if (remaining > BatchOffsets.magic) {
        const magic = records.readInt8(bytes + BatchOffsets.magic);
        if (magic < 0 || magic > CURRENT_MAGIC)
          return fail('CORRUPT_MESSAGE', `record batch at byte ${bytes} has invalid magic ${magic}`);
        if (LOG_OVERHEAD + batchLength <= remaining) {
          bytes += LOG_OVERHEAD + batchLength;
          batchCount++;
          continue;
        }
      }
    }
    // A partial batch. Kafka's iterator stops here: a follower drops the tail (a fetch may cut
    // a batch); for a client Kafka appends the whole batches and silently drops the tail, or
    // answers INVALID_RECORD when no batch is whole. Gregor refuses the tail too: bytes the
    // client believes written must not vanish.
    if (origin === 'replication') break;
    return fail(
      'INVALID_RECORD',
      batchCount === 0
        ? `records hold no complete record batch (${end} bytes)`
        : `${remaining} bytes after the last complete record batch do not form a batch`,
    );
  }
  if (batchCount === 0 && origin !== 'replication')
    return fail('INVALID_RECORD', 'a Produce request must have at least one record batch per partition');

  if (config.segmentBytes !== undefined && bytes > config.segmentBytes)
    return fail(
      'RECORD_LIST_TOO_LARGE',
      `records of ${bytes} bytes exceed the segment size (segment.bytes) ${config.segmentBytes}`,
    );

  const maxMessageBytes = config.maxMessageBytes;
  const produceVersion = context.produceVersion ?? ZSTD_MIN_PRODUCE_VERSION;
  const topicLogAppendTime = config.messageTimestampType === 'LogAppendTime';
  const beforeMax = config.messageTimestampBeforeMaxMs ?? NO_BOUND;
  const afterMax = config.messageTimestampAfterMaxMs ?? NO_BOUND;
  const checkTimestampRange = !topicLogAppendTime && (beforeMax < NO_BOUND || afterMax < NO_BOUND);
  let now = 0;
  if (checkTimestampRange && origin !== 'replication') now = context.now ?? Date.now();

  let recordCount = 0;
  let firstOffset = -1;
  let lastOffset = -1;
  let maxTimestamp = NO_TIMESTAMP;
  let offsetOfMaxTimestamp = -1;

  // Pass 2, per batch: the checks of Kafka's ProduceRequest.validateRecords, then
  // UnifiedLog.analyzeAndValidateRecords, then LogValidator.validateBatch, in that order.
  for (let pos = 0, i = 0; pos < bytes; i++) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + BatchOffsets.batchLength);
    const magic = records.readInt8(pos + BatchOffsets.magic);
    if (magic !== CURRENT_MAGIC)
      return fail('INVALID_RECORD', `record batch has magic ${magic}; Gregor accepts only magic 2`);
    const attributes = records.readInt16BE(pos + BatchOffsets.attributes);
    const codec = attributes & BatchAttributes.compressionMask;
    if (codec === Compression.zstd && produceVersion < ZSTD_MIN_PRODUCE_VERSION)
      return fail(
        'UNSUPPORTED_COMPRESSION_TYPE',
        `Produce v${produceVersion} may not use zstd (v${ZSTD_MIN_PRODUCE_VERSION}+)`,
      );
    if (i === 0 && batchCount > 1 && origin !== 'replication')
      return fail('INVALID_RECORD', `exactly one record batch per partition is allowed, got ${batchCount}`);

    const baseOffset = readInt64(records, pos + BatchOffsets.baseOffset);
    if (fromClient && baseOffset !== 0)
      return fail('INVALID_RECORD', `the baseOffset of a produced record batch must be 0, got ${baseOffset}`);
    if (size > maxMessageBytes)
      return fail(
        'MESSAGE_TOO_LARGE',
        `record batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
      );
    const stored = records.readUInt32BE(pos + BatchOffsets.crc);
    const computed = computeCrc(records, pos, size);
    if (stored !== computed)
      return fail('CORRUPT_MESSAGE', `record batch is corrupt (stored crc ${stored}, computed ${computed})`);
    if (codec > Compression.zstd)
      return fail('UNSUPPORTED_COMPRESSION_TYPE', `record batch has unknown compression type ${codec}`);

    const lastOffsetDelta = records.readInt32BE(pos + BatchOffsets.lastOffsetDelta);
    const count = records.readInt32BE(pos + BatchOffsets.recordsCount);
    if (fromClient) {
      if (lastOffsetDelta < 0)
        return fail('INVALID_RECORD', `record batch has an invalid lastOffsetDelta ${lastOffsetDelta}`);
      if (count <= 0) return fail('INVALID_RECORD', `record batch has an invalid records count ${count}`);
      if (count !== lastOffsetDelta + 1)
        return fail(
          'INVALID_RECORD',
          `record batch's lastOffsetDelta ${lastOffsetDelta} does not match its ${count} records`,
        );
      if (attributes & BatchAttributes.control)
        return fail('INVALID_RECORD', 'clients may not write control records');
      if (
        records.readInt32BE(pos + BatchOffsets.producerId) >= 0 &&
        records.readInt32BE(pos + BatchOffsets.baseSequence) < 0
      )
        return fail('INVALID_RECORD', 'record batch has a producer id but no base sequence');
    }
    // Each record takes at least 7 bytes: a count the bytes cannot hold is a lie (Kafka finds it
    // when it iterates the records; Gregor never does, so it checks here).
    if (codec === Compression.none && count > (size - RECORD_BATCH_OVERHEAD) / MIN_RECORD_SIZE)
      return fail(
        'INVALID_RECORD',
        `record batch claims ${count} records in ${size - RECORD_BATCH_OVERHEAD} bytes`,
      );

    const batchMaxTimestamp = readInt64(records, pos + BatchOffsets.maxTimestamp);
    if (origin !== 'replication') {
      const batchLogAppendTime = (attributes & BatchAttributes.timestampTypeLogAppendTime) !== 0;
      if (batchLogAppendTime && (topicLogAppendTime || batchMaxTimestamp === NO_TIMESTAMP))
        return fail('INVALID_TIMESTAMP', 'producers may not set the timestamp type to LogAppendTime');
      if (checkTimestampRange) {
        // Kafka checks every record's timestamp; from the header, the first record's (baseTimestamp,
        // unless the batch is LogAppendTime, whose records all carry maxTimestamp) and the largest.
        const first = batchLogAppendTime
          ? batchMaxTimestamp
          : readInt64(records, pos + BatchOffsets.baseTimestamp);
        const bad = outOfRange(first, now, beforeMax, afterMax)
          ? first
          : outOfRange(batchMaxTimestamp, now, beforeMax, afterMax)
            ? batchMaxTimestamp
            : NO_TIMESTAMP;
        if (bad !== NO_TIMESTAMP)
          return fail(
            'INVALID_TIMESTAMP',
            `timestamp ${bad} is out of range: it must be within [${now - beforeMax}, ${now + afterMax}]`,
          );
      }
    }

    const batchLastOffset = baseOffset + lastOffsetDelta;
    if (i === 0) firstOffset = baseOffset;
    lastOffset = batchLastOffset;
    recordCount += count;
    if (batchMaxTimestamp > maxTimestamp) {
      maxTimestamp = batchMaxTimestamp;
      offsetOfMaxTimestamp = batchLastOffset;
    }
    pos += size;
  }

  const hasBatch = batchCount > 0;
  const firstAttributes = hasBatch ? records.readInt16BE(BatchOffsets.attributes) : 0;
  return {
    ok: true,
    batchCount,
    recordCount,
    bytes,
    firstOffset,
    lastOffset,
    maxTimestamp,
    offsetOfMaxTimestamp,
    producerId: hasBatch ? readInt64(records, BatchOffsets.producerId) : -1,
    producerEpoch: hasBatch ? records.readInt16BE(BatchOffsets.producerEpoch) : -1,
    baseSequence: hasBatch ? records.readInt32BE(BatchOffsets.baseSequence) : -1,
    transactional: (firstAttributes & BatchAttributes.transactional) !== 0,
    control: (firstAttributes & BatchAttributes.control) !== 0,
    compression: (firstAttributes & BatchAttributes.compressionMask) as CompressionType,
  };
}

function outOfRange(ts: number, now: number, beforeMax: number, afterMax: number): boolean {
  if (ts === NO_TIMESTAMP) return false;
  return (beforeMax < NO_BOUND && now - ts > beforeMax) || (afterMax < NO_BOUND && ts - now > afterMax);
}
