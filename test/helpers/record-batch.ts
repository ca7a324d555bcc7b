/**
 * Test-only builder of uncompressed magic-2 record batches with a correct CRC-32C, for the storage
 * tests (the production builder is src/protocol/records/builder.ts).
 */
import {
  BatchOffsets,
  RECORD_BATCH_OVERHEAD,
  updateCrc,
  writeInt64,
} from '../../src/protocol/records/batch.js';

export interface TestRecord {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  /** Absolute timestamp; default the batch's baseTimestamp. */
  timestamp?: number;
  /** Default: the record's index (a compacted batch has gaps). */
  offsetDelta?: number;
}

export interface TestBatchOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  /** Overrides lastOffsetDelta (default: the largest offsetDelta). */
  lastOffsetDelta?: number;
  attributes?: number;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varint(out: number[], n: number): void {
  let v = zigzag(n);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function bytesOf(b: string | Buffer | null | undefined): Buffer | null {
  if (b === null || b === undefined) return null;
  return typeof b === 'string' ? Buffer.from(b) : b;
}

export function buildTestBatch(records: readonly TestRecord[], opts: TestBatchOptions = {}): Buffer {
  const baseTimestamp = opts.baseTimestamp ?? records[0]?.timestamp ?? 1_700_000_000_000;
  const bodies: Buffer[] = [];
  let maxTs = -1;
  let maxDelta = 0;
  records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTs) maxTs = ts;
    const od = r.offsetDelta ?? i;
    if (od > maxDelta) maxDelta = od;
    const body: number[] = [0];
    varint(body, ts - baseTimestamp);
    varint(body, od);
    const parts: Buffer[] = [];
    const key = bytesOf(r.key);
    const value = bytesOf(r.value);
    const head: number[] = [...body];
    varint(head, key ? key.length : -1);
    parts.push(Buffer.from(head));
    if (key) parts.push(key);
    const mid: number[] = [];
    varint(mid, value ? value.length : -1);
    parts.push(Buffer.from(mid));
    if (value) parts.push(value);
    parts.push(Buffer.from([0])); // no headers
    const b = Buffer.concat(parts);
    const len: number[] = [];
    varint(len, b.length);
    bodies.push(Buffer.concat([Buffer.from(len), b]));
  });
  const recs = Buffer.concat(bodies);
  const buf = Buffer.alloc(RECORD_BATCH_OVERHEAD + recs.length);
  writeInt64(buf, opts.baseOffset ?? 0, BatchOffsets.baseOffset);
  buf.writeInt32BE(buf.length - 12, BatchOffsets.batchLength);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, BatchOffsets.partitionLeaderEpoch);
  buf.writeInt8(2, BatchOffsets.magic);
  buf.writeInt16BE(opts.attributes ?? 0, BatchOffsets.attributes);
  buf.writeInt32BE(opts.lastOffsetDelta ?? maxDelta, BatchOffsets.lastOffsetDelta);
  writeInt64(buf, baseTimestamp, BatchOffsets.baseTimestamp);
  writeInt64(buf, records.length === 0 ? baseTimestamp : maxTs, BatchOffsets.maxTimestamp);
  writeInt64(buf, opts.producerId ?? -1, BatchOffsets.producerId);
  buf.writeInt16BE(opts.producerEpoch ?? -1, BatchOffsets.producerEpoch);
  buf.writeInt32BE(opts.baseSequence ?? -1, BatchOffsets.baseSequence);
  buf.writeInt32BE(records.length, BatchOffsets.recordsCount);
  recs.copy(buf, RECORD_BATCH_OVERHEAD);
  updateCrc(buf, 0, buf.length);
  return buf;
}

/** A batch of `count` records whose values are `payloadBytes` of filler, keys `k<i>`. */
export function fillerBatch(
  count: number,
  payloadBytes: number,
  baseTimestamp = 1_700_000_000_000,
  seed = 0,
): Buffer {
  const recs: TestRecord[] = [];
  for (let i = 0; i < count; i++) {
    const v = Buffer.alloc(payloadBytes, (seed + i) & 0xff);
    recs.push({ key: `k${seed + i}`, value: v, timestamp: baseTimestamp + i });
  }
  return buildTestBatch(recs, { baseTimestamp });
}
