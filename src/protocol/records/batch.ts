import { crc32c } from './crc32c.js';

/**
 * Record batch (magic 2) header, read in place. The broker's hot paths (produce validation,
 * offset assignment, fetch, recovery) only ever touch these fixed-position fields; records
 * themselves are never decoded there.
 *
 * Layout (big-endian), positions relative to the batch start:
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *  17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64
 *  35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32
 *  57 recordsCount int32 | 61 records
 * batchLength counts the bytes after itself, so a batch occupies 12 + batchLength bytes.
 * The CRC-32C covers attributes through the end of the batch.
 */
export const BatchOffsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;

/** Size of the batch header; also the smallest possible batch (no records). */
export const RECORD_BATCH_OVERHEAD = 61;
/** Bytes before the batchLength-counted part (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = (typeof Compression)[keyof typeof Compression];

export const BatchAttributes = {
  compressionMask: 0x07,
  timestampTypeLogAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;

/** No producer id / epoch / sequence (non-idempotent batches). */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

/** Reads a signed int64 as a number (exact within ±2^53, which offsets and timestamps stay in). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

/** Writes a number as a signed int64 (exact within ±2^53). */
export function writeInt64(buf: Buffer, value: number, pos: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * 4294967296, pos + 4);
}

/** Total bytes the batch starting at `pos` occupies, from its batchLength field. */
export function batchSize(buf: Buffer, pos: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + BatchOffsets.batchLength);
}

export function baseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BatchOffsets.baseOffset);
}
export function lastOffsetDelta(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta);
}
export function lastOffset(buf: Buffer, pos: number): number {
  return baseOffset(buf, pos) + lastOffsetDelta(buf, pos);
}
export function partitionLeaderEpoch(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch);
}
export function magic(buf: Buffer, pos: number): number {
  return buf.readInt8(pos + BatchOffsets.magic);
}
export function storedCrc(buf: Buffer, pos: number): number {
  return buf.readUInt32BE(pos + BatchOffsets.crc);
}
export function attributes(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + BatchOffsets.attributes);
}
export function compressionOf(buf: Buffer, pos: number): number {
  return attributes(buf, pos) & BatchAttributes.compressionMask;
}
export function isTransactional(buf: Buffer, pos: number): boolean {
  return (attributes(buf, pos) & BatchAttributes.transactional) !== 0;
}
export function isControl(buf: Buffer, pos: number): boolean {
  return (attributes(buf, pos) & BatchAttributes.control) !== 0;
}
export function baseTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BatchOffsets.baseTimestamp);
}
export function maxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BatchOffsets.maxTimestamp);
}
export function producerId(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BatchOffsets.producerId);
}
export function producerEpoch(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + BatchOffsets.producerEpoch);
}
export function baseSequence(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BatchOffsets.baseSequence);
}
export function recordsCount(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BatchOffsets.recordsCount);
}

/** CRC-32C of the batch at `pos` (attributes through the end), as Kafka stores it. */
export function computeCrc(buf: Buffer, pos: number, size = batchSize(buf, pos)): number {
  return crc32c(buf.subarray(pos + BatchOffsets.attributes, pos + size)) >>> 0;
}

/** Recomputes and stores the CRC after a field the CRC covers was rewritten. */
export function updateCrc(buf: Buffer, pos: number, size = batchSize(buf, pos)): void {
  buf.writeUInt32BE(computeCrc(buf, pos, size), pos + BatchOffsets.crc);
}

/** Assigns the batch's offsets: baseOffset is outside the CRC, so no CRC update is needed. */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, offset, pos + BatchOffsets.baseOffset);
}

/** Stamps the leader epoch; outside the CRC by design, so it is written for free. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + BatchOffsets.partitionLeaderEpoch);
}

/**
 * For LogAppendTime topics: marks the batch as LogAppendTime and sets maxTimestamp to the
 * append time. Both are inside the CRC, which is recomputed.
 */
export function stampLogAppendTime(buf: Buffer, pos: number, appendTime: number): void {
  const attrs = attributes(buf, pos) | BatchAttributes.timestampTypeLogAppendTime;
  buf.writeInt16BE(attrs, pos + BatchOffsets.attributes);
  writeInt64(buf, appendTime, pos + BatchOffsets.maxTimestamp);
  updateCrc(buf, pos);
}
