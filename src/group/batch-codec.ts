import {
  BatchOffsets,
  batchSize,
  compressionOf,
  computeCrc,
  CURRENT_MAGIC,
  isControl,
  LOG_OVERHEAD,
  magic,
  RECORD_BATCH_OVERHEAD,
  recordsCount,
  storedCrc,
  updateCrc,
} from '../protocol/records/batch.js';
import type { CoordinatorRecord } from './records.js';

/**
 * The coordinator writes its own records into `__consumer_offsets`, so it needs to build and read
 * plain (uncompressed, non-transactional) v2 batches of key/value records — nothing more.
 */

function zigzagLength(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** One batch holding `records`, offsets 0..n-1 relative, CreateTime `timestamp`. */
export function buildBatch(records: readonly CoordinatorRecord[], timestamp: number): Buffer {
  const bodies: { size: number; key: Uint8Array; value: Uint8Array | null; delta: number }[] = [];
  let total = RECORD_BATCH_OVERHEAD;
  records.forEach((r, delta) => {
    const valueLen = r.value === null ? -1 : r.value.length;
    const size =
      1 + // attributes
      zigzagLength(0) + // timestamp delta
      zigzagLength(delta) +
      zigzagLength(r.key.length) +
      r.key.length +
      zigzagLength(valueLen) +
      (r.value?.length ?? 0) +
      zigzagLength(0); // headers
    bodies.push({ size, key: r.key, value: r.value, delta });
    total += zigzagLength(size) + size;
  });
  const buf = Buffer.alloc(total);
  buf.writeInt32BE(total - LOG_OVERHEAD, BatchOffsets.batchLength);
  buf.writeInt32BE(-1, BatchOffsets.partitionLeaderEpoch);
  buf.writeInt8(CURRENT_MAGIC, BatchOffsets.magic);
  buf.writeInt16BE(0, BatchOffsets.attributes);
  buf.writeInt32BE(records.length - 1, BatchOffsets.lastOffsetDelta);
  buf.writeBigInt64BE(BigInt(timestamp), BatchOffsets.baseTimestamp);
  buf.writeBigInt64BE(BigInt(timestamp), BatchOffsets.maxTimestamp);
  buf.writeBigInt64BE(-1n, BatchOffsets.producerId);
  buf.writeInt16BE(-1, BatchOffsets.producerEpoch);
  buf.writeInt32BE(-1, BatchOffsets.baseSequence);
  buf.writeInt32BE(records.length, BatchOffsets.recordsCount);
  let pos = RECORD_BATCH_OVERHEAD;
  for (const b of bodies) {
    pos = writeVarint(buf, pos, b.size);
    buf[pos++] = 0;
    pos = writeVarint(buf, pos, 0);
    pos = writeVarint(buf, pos, b.delta);
    pos = writeVarint(buf, pos, b.key.length);
    buf.set(b.key, pos);
    pos += b.key.length;
    if (b.value === null) {
      pos = writeVarint(buf, pos, -1);
    } else {
      pos = writeVarint(buf, pos, b.value.length);
      buf.set(b.value, pos);
      pos += b.value.length;
    }
    pos = writeVarint(buf, pos, 0);
  }
  updateCrc(buf, 0, total);
  return buf;
}

export class BatchFormatError extends Error {
  override name = 'BatchFormatError';
}

class VarReader {
  pos: number;
  readonly #buf: Buffer;
  readonly #end: number;
  constructor(buf: Buffer, pos: number, end: number) {
    this.#buf = buf;
    this.pos = pos;
    this.#end = end;
  }
  varint(): number {
    let z = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.#end) throw new BatchFormatError('truncated varint');
      const b = this.#buf[this.pos++] as number;
      z += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      mul *= 128;
    }
    throw new BatchFormatError('varint too long');
  }
  bytes(len: number): Buffer {
    if (len < 0 || this.pos + len > this.#end) throw new BatchFormatError('record field past the batch');
    const b = this.#buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
}

/**
 * The key/value records of concatenated v2 batches, in log order. Control batches are skipped;
 * compressed batches cannot be read here and raise BatchFormatError (the coordinator never writes them).
 */
export function* recordsOf(batches: Buffer): Generator<CoordinatorRecord> {
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= batches.length) {
    const size = batchSize(batches, pos);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > batches.length) break; // a partial trailing batch
    if (magic(batches, pos) !== CURRENT_MAGIC) throw new BatchFormatError('not a v2 batch');
    if (computeCrc(batches, pos, size) !== storedCrc(batches, pos))
      throw new BatchFormatError('CRC mismatch');
    if (!isControl(batches, pos)) {
      if (compressionOf(batches, pos) !== 0)
        throw new BatchFormatError('compressed __consumer_offsets batch');
      const count = recordsCount(batches, pos);
      const r = new VarReader(batches, pos + RECORD_BATCH_OVERHEAD, pos + size);
      for (let i = 0; i < count; i++) {
        const len = r.varint();
        const recordEnd = r.pos + len;
        r.bytes(1); // attributes
        r.varint(); // timestamp delta
        r.varint(); // offset delta
        const keyLen = r.varint();
        const key = keyLen < 0 ? null : r.bytes(keyLen);
        const valueLen = r.varint();
        const value = valueLen < 0 ? null : r.bytes(valueLen);
        r.pos = recordEnd;
        if (key !== null) yield { key, value };
      }
    }
    pos += size;
  }
}
