/**
 * The aborted-transaction index, `<baseOffset>.txnindex` beside each segment (Kafka's
 * TransactionIndex layout): one fixed-size entry per aborted transaction, written to the segment
 * that holds the transaction's ABORT marker, in marker order. An entry carries the last stable
 * offset at the time of the abort; every transaction aborted later started at or after it, which
 * is what lets a search stop early.
 *
 * The producer state (txn/) appends entries as markers are written; the cleaner rewrites them for
 * the segments it replaces; fetch and the cleaner read them back.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readInt64, writeInt64 } from '../protocol/records/batch.js';
import { writeFully } from './fs-util.js';
import type { AbortedTxnRange } from './producer-state.js';

export const TXN_INDEX_SUFFIX = '.txnindex';
/** version int16, producerId int64, firstOffset int64, lastOffset int64, lastStableOffset int64. */
export const TXN_INDEX_ENTRY_BYTES = 34;
const TXN_INDEX_VERSION = 0;

export interface AbortedTxnEntry extends AbortedTxnRange {
  /** The partition's last stable offset right after this transaction was aborted. */
  lastStableOffset: number;
}

export function txnIndexFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}${TXN_INDEX_SUFFIX}`;
}

export function encodeTxnIndexEntry(entry: AbortedTxnEntry, out: Buffer, pos: number): void {
  out.writeInt16BE(TXN_INDEX_VERSION, pos);
  writeInt64(out, entry.producerId, pos + 2);
  writeInt64(out, entry.firstOffset, pos + 10);
  writeInt64(out, entry.lastOffset, pos + 18);
  writeInt64(out, entry.lastStableOffset, pos + 26);
}

/** Appends one entry (the producer state, when an ABORT marker is written). */
export function appendTxnIndexEntry(path: string, entry: AbortedTxnEntry): void {
  const buf = Buffer.allocUnsafe(TXN_INDEX_ENTRY_BYTES);
  encodeTxnIndexEntry(entry, buf, 0);
  fs.appendFileSync(path, buf);
}

/** Writes a whole index (the cleaner's `.cleaned` copy) and fsyncs it, so a swap never exposes a torn file. */
export function writeTxnIndexSync(path: string, entries: readonly AbortedTxnEntry[]): void {
  const buf = Buffer.allocUnsafe(entries.length * TXN_INDEX_ENTRY_BYTES);
  for (let i = 0; i < entries.length; i++) encodeTxnIndexEntry(entries[i]!, buf, i * TXN_INDEX_ENTRY_BYTES);
  const fd = fs.openSync(path, 'w');
  try {
    writeFully(fd, buf, 0, buf.length, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The entries of one index, oldest first. A torn last entry (a crash mid-append) is ignored;
 * `validBytes` says where the whole entries end. A missing file has no entries.
 */
export function readTxnIndex(path: string): {
  entries: AbortedTxnEntry[];
  validBytes: number;
  fileBytes: number;
} {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], validBytes: 0, fileBytes: 0 };
    throw err;
  }
  const entries: AbortedTxnEntry[] = [];
  let pos = 0;
  for (; pos + TXN_INDEX_ENTRY_BYTES <= buf.length; pos += TXN_INDEX_ENTRY_BYTES) {
    entries.push({
      producerId: readInt64(buf, pos + 2),
      firstOffset: readInt64(buf, pos + 10),
      lastOffset: readInt64(buf, pos + 18),
      lastStableOffset: readInt64(buf, pos + 26),
    });
  }
  return { entries, validBytes: pos, fileBytes: buf.length };
}

/** Base offsets of the segments in `dir` that have a `.txnindex` file (one directory listing). */
export function txnIndexBases(dir: string): Set<number> {
  const out = new Set<number>();
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith(TXN_INDEX_SUFFIX)) continue;
    const digits = name.slice(0, -TXN_INDEX_SUFFIX.length);
    if (/^\d{20}$/.test(digits)) out.add(Number(digits));
  }
  return out;
}

/**
 * Aborted transactions overlapping [from, upTo) — lastOffset >= from and firstOffset < upTo —
 * read from the indexes of the segments (`segmentBases`, ascending) starting with the one holding
 * `from`; `indexed` (from txnIndexBases) spares opening files that do not exist. Stops at the first
 * entry whose last stable offset reaches `upTo`: no later abort can overlap the range.
 */
export function collectAbortedTransactions(
  dir: string,
  segmentBases: readonly number[],
  indexed: ReadonlySet<number>,
  from: number,
  upTo: number,
): AbortedTxnEntry[] {
  let first = 0;
  for (let i = 0; i < segmentBases.length; i++) if (segmentBases[i]! <= from) first = i;
  const out: AbortedTxnEntry[] = [];
  for (let i = first; i < segmentBases.length; i++) {
    if (!indexed.has(segmentBases[i]!)) continue;
    for (const e of readTxnIndex(join(dir, txnIndexFileName(segmentBases[i]!))).entries) {
      if (e.lastOffset >= from && e.firstOffset < upTo) out.push(e);
      if (e.lastStableOffset >= upTo) return out;
    }
  }
  return out;
}
