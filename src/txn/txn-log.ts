/**
 * Records of `__transaction_state` in Kafka's layout: key = version int16 (0), transactionalId
 * string; value (version 0) = producerId int64, producerEpoch int16, transactionTimeoutMs int32,
 * status int8, partitions [topic string, partitions [int32]], lastUpdateTimestampMs int64,
 * startTimestampMs int64. A null value is a tombstone (the transactional id expired).
 */
import { readInt64, writeInt64 } from '../protocol/records/batch.js';

/** Kafka's TransactionState ids as stored in the log. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateValue = (typeof TxnState)[keyof typeof TxnState];

export const TXN_STATE_NAMES: Record<number, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export interface TxnLogValue {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateValue;
  /** topic → partitions. */
  partitions: Map<string, number[]>;
  lastUpdateTimestamp: number;
  startTimestamp: number;
}

export class TxnLogFormatError extends Error {
  override name = 'TxnLogFormatError';
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  const id = Buffer.from(transactionalId, 'utf8');
  const buf = Buffer.alloc(4 + id.length);
  buf.writeInt16BE(0, 0);
  buf.writeInt16BE(id.length, 2);
  id.copy(buf, 4);
  return buf;
}

export function decodeTxnLogKey(buf: Uint8Array): string {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 4) throw new TxnLogFormatError('short __transaction_state key');
  const version = b.readInt16BE(0);
  if (version !== 0) throw new TxnLogFormatError(`__transaction_state key version ${version}`);
  const len = b.readInt16BE(2);
  if (len < 0 || 4 + len > b.length) throw new TxnLogFormatError('bad transactional id length');
  return b.toString('utf8', 4, 4 + len);
}

export function encodeTxnLogValue(v: TxnLogValue): Buffer {
  let size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
  const topics: Array<[Buffer, number[]]> = [];
  for (const [topic, parts] of v.partitions) {
    const t = Buffer.from(topic, 'utf8');
    topics.push([t, parts]);
    size += 2 + t.length + 4 + 4 * parts.length;
  }
  const buf = Buffer.alloc(size);
  let p = 0;
  buf.writeInt16BE(0, p);
  p += 2;
  writeInt64(buf, v.producerId, p);
  p += 8;
  buf.writeInt16BE(v.producerEpoch, p);
  p += 2;
  buf.writeInt32BE(v.timeoutMs, p);
  p += 4;
  buf.writeInt8(v.state, p);
  p += 1;
  buf.writeInt32BE(topics.length, p);
  p += 4;
  for (const [t, parts] of topics) {
    buf.writeInt16BE(t.length, p);
    p += 2;
    t.copy(buf, p);
    p += t.length;
    buf.writeInt32BE(parts.length, p);
    p += 4;
    for (const x of parts) {
      buf.writeInt32BE(x, p);
      p += 4;
    }
  }
  writeInt64(buf, v.lastUpdateTimestamp, p);
  p += 8;
  writeInt64(buf, v.startTimestamp, p);
  return buf;
}

export function decodeTxnLogValue(buf: Uint8Array): TxnLogValue {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const need = (n: number) => {
    if (p + n > b.length) throw new TxnLogFormatError('truncated __transaction_state value');
  };
  need(2);
  const version = b.readInt16BE(p);
  p += 2;
  if (version !== 0) throw new TxnLogFormatError(`__transaction_state value version ${version}`);
  need(19);
  const producerId = readInt64(b, p);
  p += 8;
  const producerEpoch = b.readInt16BE(p);
  p += 2;
  const timeoutMs = b.readInt32BE(p);
  p += 4;
  const state = b.readInt8(p) as TxnStateValue;
  p += 1;
  const n = b.readInt32BE(p);
  p += 4;
  if (n < 0 || n > b.length) throw new TxnLogFormatError('bad partition count');
  const partitions = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    need(2);
    const len = b.readInt16BE(p);
    p += 2;
    need(len + 4);
    const topic = b.toString('utf8', p, p + len);
    p += len;
    const m = b.readInt32BE(p);
    p += 4;
    need(4 * m);
    const parts: number[] = [];
    for (let j = 0; j < m; j++, p += 4) parts.push(b.readInt32BE(p));
    partitions.set(topic, parts);
  }
  need(16);
  const lastUpdateTimestamp = readInt64(b, p);
  const startTimestamp = readInt64(b, p + 8);
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp, startTimestamp };
}
