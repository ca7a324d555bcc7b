import {
  BatchAttributes,
  BatchOffsets,
  type CompressionType,
  CURRENT_MAGIC,
  computeCrc,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
  TimestampType,
} from './batch.js';
import { decompress, decompressedBytesMax, isKnownCompression } from './compression.js';
import { RecordBatchError } from './errors.js';

/**
 * Reading the records of magic-2 batches, for tools, tests, coordinators replaying their topics
 * and broker-side recompression — never for the produce or fetch hot paths.
 *
 * Every length read from the bytes is checked against what remains before it is used; malformed
 * input throws RecordBatchError (CORRUPT_MESSAGE for a bad batch frame, CRC or compressed data;
 * INVALID_RECORD for a bad record inside a sound batch, as Kafka's record iterator does) and
 * nothing else. Keys, values and header values of uncompressed batches are views into the input.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  /** baseOffset + offsetDelta. */
  offset: number;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp when it is LogAppendTime. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  /** Bytes the batch occupies (12 + batchLength). */
  size: number;
  partitionLeaderEpoch: number;
  attributes: number;
  compression: CompressionType;
  timestampType: (typeof TimestampType)[keyof typeof TimestampType];
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: KafkaRecord[];
}

export interface DecodeOptions {
  /** Check the CRC-32C before reading (default true). */
  verifyCrc?: boolean;
  /** Bound on a compressed batch's decompressed records (default decompressedBytesMax). */
  maxDecompressedBytes?: number;
}

function corrupt(message: string): RecordBatchError {
  return new RecordBatchError('CORRUPT_MESSAGE', message);
}
function invalid(message: string): RecordBatchError {
  return new RecordBatchError('INVALID_RECORD', message);
}

/**
 * Checks the frame of the batch at `pos` (whole header, length within `buf`, magic 2, known codec,
 * optionally the CRC) and returns its size. Throws RecordBatchError CORRUPT_MESSAGE.
 */
export function checkBatch(buf: Buffer, pos = 0, verifyCrc = true): number {
  const remaining = buf.length - pos;
  if (pos < 0 || remaining < RECORD_BATCH_OVERHEAD)
    throw corrupt(
      `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${Math.max(remaining, 0)} remain`,
    );
  const batchLength = buf.readInt32BE(pos + BatchOffsets.batchLength);
  const size = LOG_OVERHEAD + batchLength;
  if (size < RECORD_BATCH_OVERHEAD || size > remaining)
    throw corrupt(`record batch length ${batchLength} does not fit the ${remaining} bytes remaining`);
  const magic = buf.readInt8(pos + BatchOffsets.magic);
  if (magic !== CURRENT_MAGIC) throw corrupt(`record batch has magic ${magic}, not 2`);
  const codec = buf.readInt16BE(pos + BatchOffsets.attributes) & BatchAttributes.compressionMask;
  if (!isKnownCompression(codec)) throw corrupt(`record batch has unknown compression type ${codec}`);
  if (verifyCrc) {
    const stored = buf.readUInt32BE(pos + BatchOffsets.crc);
    const computed = computeCrc(buf, pos, size);
    if (stored !== computed)
      throw corrupt(`record batch is corrupt (stored crc ${stored}, computed ${computed})`);
  }
  return size;
}

/** The batch at `pos`, header and records (decompressed as needed). */
export async function decodeBatch(buf: Buffer, pos = 0, options: DecodeOptions = {}): Promise<DecodedBatch> {
  const size = checkBatch(buf, pos, options.verifyCrc ?? true);
  const attributes = buf.readInt16BE(pos + BatchOffsets.attributes);
  const compression = (attributes & BatchAttributes.compressionMask) as CompressionType;
  const section = buf.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size);
  const payload = await decompress(
    compression,
    section,
    options.maxDecompressedBytes ?? decompressedBytesMax,
  );
  const logAppendTime = (attributes & BatchAttributes.timestampTypeLogAppendTime) !== 0;
  return {
    baseOffset: readInt64(buf, pos + BatchOffsets.baseOffset),
    size,
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch),
    attributes,
    compression,
    timestampType: logAppendTime ? TimestampType.logAppendTime : TimestampType.createTime,
    transactional: (attributes & BatchAttributes.transactional) !== 0,
    control: (attributes & BatchAttributes.control) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta),
    baseTimestamp: readInt64(buf, pos + BatchOffsets.baseTimestamp),
    maxTimestamp: readInt64(buf, pos + BatchOffsets.maxTimestamp),
    producerId: readInt64(buf, pos + BatchOffsets.producerId),
    producerEpoch: buf.readInt16BE(pos + BatchOffsets.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BatchOffsets.baseSequence),
    records: [...decodeRecords(buf, pos, payload)],
  };
}

/** Every batch of `buf` (concatenated whole batches, as in a segment or a fetch response). */
export async function* decodeBatches(buf: Buffer, options: DecodeOptions = {}): AsyncGenerator<DecodedBatch> {
  for (let pos = 0; pos < buf.length; ) {
    const batch = await decodeBatch(buf, pos, options);
    pos += batch.size;
    yield batch;
  }
}

/** Every record of every batch of `buf`. */
export async function* readRecords(buf: Buffer, options: DecodeOptions = {}): AsyncGenerator<KafkaRecord> {
  for await (const batch of decodeBatches(buf, options)) yield* batch.records;
}

/**
 * Indexes, within their batch, of the records that have no key: Kafka's one per-record produce
 * check (LogValidator.validateKey, compacted topics only). An uncompressed batch is walked in
 * place — each record's length, attributes, timestamp and offset deltas and key length, then a
 * jump to its end, no record objects; a compressed one is decompressed and read through
 * decodeBatches, as Kafka decompresses it. Throws RecordBatchError for malformed records.
 */
export async function nullKeyRecordIndexes(buf: Buffer, options: DecodeOptions = {}): Promise<number[]> {
  const out: number[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const size = checkBatch(buf, pos, options.verifyCrc ?? true);
    const codec = buf.readInt16BE(pos + BatchOffsets.attributes) & BatchAttributes.compressionMask;
    if (codec !== 0) {
      const batch = await decodeBatch(buf, pos, options);
      batch.records.forEach((record, i) => {
        if (record.key === null) out.push(i);
      });
    } else {
      const count = buf.readInt32BE(pos + BatchOffsets.recordsCount);
      if (count < 0) throw invalid(`record batch has an invalid records count ${count}`);
      const r = new RecordReader(buf.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size));
      for (let i = 0; i < count; i++) {
        const bodySize = r.varint();
        if (bodySize < 0 || bodySize > r.end - r.pos)
          throw invalid(`record ${i} declares ${bodySize} bytes, ${r.end - r.pos} remain in the batch`);
        const bodyEnd = r.pos + bodySize;
        const outerEnd = r.end;
        r.end = bodyEnd;
        r.pos++; // attributes
        if (r.pos > r.end) throw r.eof();
        r.varlong(); // timestampDelta
        r.varint(); // offsetDelta
        if (r.varint() < 0) out.push(i); // key length: negative is a null key
        r.pos = bodyEnd;
        r.end = outerEnd;
      }
      if (r.pos !== r.end)
        throw invalid(`record batch has ${r.end - r.pos} bytes left after its ${count} records`);
    }
    pos += size;
  }
  return out;
}

/**
 * The records of the batch whose header is at `pos` of `buf`, read from `payload`: its records
 * section, already decompressed. Checks that exactly recordsCount records fill the payload.
 */
export function* decodeRecords(buf: Buffer, pos: number, payload: Buffer): Generator<KafkaRecord> {
  const count = buf.readInt32BE(pos + BatchOffsets.recordsCount);
  if (count < 0) throw invalid(`record batch has an invalid records count ${count}`);
  const baseOffset = readInt64(buf, pos + BatchOffsets.baseOffset);
  const baseTimestamp = readInt64(buf, pos + BatchOffsets.baseTimestamp);
  const logAppendTime =
    (buf.readInt16BE(pos + BatchOffsets.attributes) & BatchAttributes.timestampTypeLogAppendTime) !== 0;
  const maxTimestamp = readInt64(buf, pos + BatchOffsets.maxTimestamp);
  const r = new RecordReader(payload);
  for (let i = 0; i < count; i++) {
    const bodySize = r.varint();
    if (bodySize < 0 || bodySize > r.end - r.pos)
      throw invalid(`record ${i} declares ${bodySize} bytes, ${r.end - r.pos} remain in the batch`);
    const bodyEnd = r.pos + bodySize;
    const outerEnd = r.end;
    r.end = bodyEnd;
    r.pos++; // attributes: unused
    if (r.pos > r.end) throw r.eof();
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const key = r.bytes();
    const value = r.bytes();
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > r.end - r.pos)
      throw invalid(`record ${i} has an invalid header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = r.bytes();
      if (headerKey === null) throw invalid(`record ${i} has a negative header key size`);
      headers.push({ key: headerKey.toString('utf8'), value: r.bytes() });
    }
    if (r.pos !== bodyEnd)
      throw invalid(
        `record ${i} declares ${bodySize} bytes but its fields take ${bodySize - (bodyEnd - r.pos)}`,
      );
    r.end = outerEnd;
    yield {
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (r.pos !== r.end)
    throw invalid(`record batch has ${r.end - r.pos} bytes left after its ${count} records`);
}

/** A bounds-checked cursor over a records payload (Kafka's zigzag varints). */
class RecordReader {
  readonly buf: Buffer;
  pos = 0;
  end: number;
  constructor(buf: Buffer) {
    this.buf = buf;
    this.end = buf.length;
  }

  eof(): RecordBatchError {
    return invalid('record runs past the end of its batch');
  }

  /** Zigzag varint, at most 5 bytes (Kafka's readVarint). */
  varint(): number {
    let raw = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw this.eof();
      const b = this.buf[this.pos++]!;
      raw |= (b & 0x7f) << shift;
      if (b < 0x80) return (raw >>> 1) ^ -(raw & 1);
    }
    throw invalid('varint longer than 5 bytes');
  }

  /** Zigzag varlong, at most 10 bytes (Kafka's readVarlong); exact within ±2^53. */
  varlong(): number {
    let raw = 0;
    let scale = 1;
    let negative = false;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.eof();
      const b = this.buf[this.pos++]!;
      if (i === 0) negative = (b & 1) === 1;
      raw += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return negative ? -Math.floor(raw / 2) - 1 : Math.floor(raw / 2);
    }
    throw invalid('varlong longer than 10 bytes');
  }

  /** Varint-length bytes; a negative length is null (as Kafka reads it). */
  bytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) return null;
    if (len > this.end - this.pos)
      throw invalid(`field of ${len} bytes, ${this.end - this.pos} remain in the record`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

// ---- control records ----

/** The type in a control record's key (Kafka's ControlRecordType). */
export const ControlRecordType = {
  abort: 0,
  commit: 1,
  leaderChange: 2,
  snapshotHeader: 3,
  snapshotFooter: 4,
  kraftVersion: 5,
  kraftVoters: 6,
} as const;

export interface ControlRecordKey {
  version: number;
  /** A ControlRecordType; unknown types are returned as they are (Kafka ignores them). */
  type: number;
}

/** Parses a control record's key: version int16, type int16 (Kafka reads unknown versions as 0). */
export function parseControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4)
    throw invalid(`control record key needs 4 bytes, found ${key === null ? 'null' : key.length}`);
  const version = key.readInt16BE(0);
  if (version < 0) throw invalid(`control record key has invalid version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export interface EndTxnMarker {
  type: typeof ControlRecordType.commit | typeof ControlRecordType.abort;
  version: number;
  coordinatorEpoch: number;
}

/** Parses a transaction marker (COMMIT or ABORT control record): value is version int16, coordinatorEpoch int32. */
export function parseEndTxnMarker(record: Pick<KafkaRecord, 'key' | 'value'>): EndTxnMarker {
  const { type } = parseControlRecordKey(record.key);
  if (type !== ControlRecordType.commit && type !== ControlRecordType.abort)
    throw invalid(`control record type ${type} is not a transaction marker`);
  const value = record.value;
  if (value === null || value.length < 6)
    throw invalid(`transaction marker value needs 6 bytes, found ${value === null ? 'null' : value.length}`);
  const version = value.readInt16BE(0);
  if (version < 0) throw invalid(`transaction marker has invalid version ${version}`);
  return { type, version, coordinatorEpoch: value.readInt32BE(2) };
}
