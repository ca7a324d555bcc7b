import {
  BatchAttributes,
  BatchOffsets,
  Compression,
  type CompressionType,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  updateCrc,
  writeInt64,
} from './batch.js';
import { type CompressionName, compress, compressSync } from './compression.js';
import { ControlRecordType } from './records.js';

/**
 * Building magic-2 record batches: what a producer writes, and what the broker writes itself
 * (transaction markers, coordinator state, recompressed batches). Same layout and defaults as the
 * Java client's MemoryRecordsBuilder: offset deltas 0..n-1, baseTimestamp = the first record's
 * timestamp, no producer id/epoch/sequence (-1) unless given.
 */

export type Bytes = Buffer | string | null | undefined;

export interface RecordInput {
  key?: Bytes;
  value?: Bytes;
  headers?: ReadonlyArray<{ key: string; value?: Bytes }>;
  /** Default: the batch's baseTimestamp. */
  timestamp?: number;
}

export interface BuildOptions {
  /** Default 0 (what a producer sends; the leader assigns the real offset). */
  baseOffset?: number;
  /** Default: the first record's timestamp, else now. */
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: (typeof TimestampType)[keyof typeof TimestampType];
  compression?: CompressionName;
}

/** Builds a batch; compressed with any codec (zstd is async-only on Node.js < 22.15). */
export async function buildBatch(
  records: readonly RecordInput[],
  options: BuildOptions = {},
): Promise<Buffer> {
  const codec = Compression[options.compression ?? 'none'];
  const encoded = encodeRecords(records, options, codec === Compression.none ? RECORD_BATCH_OVERHEAD : 0);
  if (codec !== Compression.none) encoded.out = withHeader(await compress(codec, encoded.out));
  return finish(encoded, records.length, codec, options);
}

/** buildBatch without a promise, for the codecs that compress synchronously (see compressSync). */
export function buildBatchSync(records: readonly RecordInput[], options: BuildOptions = {}): Buffer {
  const codec = Compression[options.compression ?? 'none'];
  const encoded = encodeRecords(records, options, codec === Compression.none ? RECORD_BATCH_OVERHEAD : 0);
  if (codec !== Compression.none) encoded.out = withHeader(compressSync(codec, encoded.out));
  return finish(encoded, records.length, codec, options);
}

/** A control record's key: version 0, then the ControlRecordType. */
export function controlRecordKey(type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** A transaction marker's value: version 0, then the coordinator epoch. */
export function endTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

export interface EndTxnMarkerOptions {
  commit: boolean;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Default now. */
  timestamp?: number;
}

/** The COMMIT or ABORT marker batch a transaction coordinator has written to a partition. */
export function buildEndTxnMarker(options: EndTxnMarkerOptions): Buffer {
  const type = options.commit ? ControlRecordType.commit : ControlRecordType.abort;
  return buildBatchSync(
    [
      {
        key: controlRecordKey(type),
        value: endTxnMarkerValue(options.coordinatorEpoch),
        timestamp: options.timestamp ?? Date.now(),
      },
    ],
    {
      baseOffset: options.baseOffset ?? 0,
      producerId: options.producerId,
      producerEpoch: options.producerEpoch,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      transactional: true,
      control: true,
    },
  );
}

interface Encoded {
  /** The batch so far: records written after `RECORD_BATCH_OVERHEAD` bytes of room for the header. */
  out: Buffer;
  baseTimestamp: number;
  maxTimestamp: number;
}

function byteLength(b: Bytes): number {
  if (b === null || b === undefined) return -1;
  return typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : b.length;
}

/** Serializes the records after `headroom` bytes; with headroom = 61 the result is the batch. */
function encodeRecords(records: readonly RecordInput[], options: BuildOptions, headroom: number): Encoded {
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const baseTimestamp = options.baseTimestamp ?? records[0]!.timestamp ?? Date.now();
  checkTimestamp(baseTimestamp);
  let maxTimestamp = -1;
  // Pass 1: sizes. Field lengths are kept (-1 = null) so strings are encoded once, in place.
  const lengths: number[] = [];
  const bodySizes: number[] = [];
  let total = headroom;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const timestamp = record.timestamp ?? baseTimestamp;
    checkTimestamp(timestamp);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const keyLength = byteLength(record.key);
    const valueLength = byteLength(record.value);
    lengths.push(keyLength, valueLength);
    const headers = record.headers ?? [];
    let body =
      1 +
      sizeOfVarlong(timestamp - baseTimestamp) +
      sizeOfVarint(i) +
      sizeOfBytes(keyLength) +
      sizeOfBytes(valueLength) +
      sizeOfVarint(headers.length);
    for (const header of headers) {
      const hk = Buffer.byteLength(header.key, 'utf8');
      const hv = byteLength(header.value);
      lengths.push(hk, hv);
      body += sizeOfBytes(hk) + sizeOfBytes(hv);
    }
    bodySizes.push(body);
    total += sizeOfVarint(body) + body;
  }
  // Pass 2: write.
  const out = Buffer.allocUnsafe(total);
  let pos = headroom;
  let f = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    pos = writeVarint(out, pos, bodySizes[i]!);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarlong(out, pos, (record.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeVarint(out, pos, i);
    pos = writeBytes(out, pos, record.key, lengths[f++]!);
    pos = writeBytes(out, pos, record.value, lengths[f++]!);
    const headers = record.headers ?? [];
    pos = writeVarint(out, pos, headers.length);
    for (const header of headers) {
      pos = writeBytes(out, pos, header.key, lengths[f++]!);
      pos = writeBytes(out, pos, header.value, lengths[f++]!);
    }
  }
  return { out, baseTimestamp, maxTimestamp };
}

/** A compressed records section with room for the header in front. */
function withHeader(section: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + section.length);
  section.copy(out, RECORD_BATCH_OVERHEAD);
  return out;
}

function finish(encoded: Encoded, count: number, codec: CompressionType, options: BuildOptions): Buffer {
  const out = encoded.out;
  let attributes: number = codec;
  if (options.timestampType === TimestampType.logAppendTime)
    attributes |= BatchAttributes.timestampTypeLogAppendTime;
  if (options.transactional) attributes |= BatchAttributes.transactional;
  if (options.control) attributes |= BatchAttributes.control;
  writeInt64(out, options.baseOffset ?? 0, BatchOffsets.baseOffset);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchOffsets.batchLength);
  out.writeInt32BE(
    options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    BatchOffsets.partitionLeaderEpoch,
  );
  out.writeInt8(CURRENT_MAGIC, BatchOffsets.magic);
  out.writeInt16BE(attributes, BatchOffsets.attributes);
  out.writeInt32BE(count - 1, BatchOffsets.lastOffsetDelta);
  writeInt64(out, encoded.baseTimestamp, BatchOffsets.baseTimestamp);
  writeInt64(out, encoded.maxTimestamp, BatchOffsets.maxTimestamp);
  writeInt64(out, options.producerId ?? NO_PRODUCER_ID, BatchOffsets.producerId);
  out.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, BatchOffsets.producerEpoch);
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BatchOffsets.baseSequence);
  out.writeInt32BE(count, BatchOffsets.recordsCount);
  updateCrc(out, 0, out.length);
  return out;
}

/** Kafka's own builder refuses negative timestamps other than -1 (none); deltas stay within ±2^52. */
const TIMESTAMP_MAX = 2 ** 52;

function checkTimestamp(ts: number): void {
  if (!Number.isInteger(ts) || ts < -1 || ts > TIMESTAMP_MAX) throw new RangeError(`invalid timestamp ${ts}`);
}

// ---- Kafka's zigzag varints (also used by the log cleaner to re-encode timestamp deltas) ----

export function sizeOfVarint(n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (z >= 0x80) {
    z >>>= 7;
    size++;
  }
  return size;
}

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Zigzag of a safe integer, as a (non-negative) number. */
function zigzag64(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function sizeOfVarlong(n: number): number {
  let z = zigzag64(n);
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

export function writeVarlong(buf: Buffer, pos: number, n: number): number {
  let z = zigzag64(n);
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

function sizeOfBytes(length: number): number {
  return length < 0 ? 1 : sizeOfVarint(length) + length;
}

/** Writes a length-prefixed field whose byte length (-1 = null) pass 1 measured. */
function writeBytes(buf: Buffer, pos: number, b: Bytes, length: number): number {
  pos = writeVarint(buf, pos, length);
  if (length <= 0) return pos;
  if (typeof b === 'string') buf.write(b, pos, length, 'utf8');
  else (b as Buffer).copy(buf, pos);
  return pos + length;
}
