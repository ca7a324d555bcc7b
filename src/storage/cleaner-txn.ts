/**
 * What the cleaner knows about transactions while it walks a log in offset order (the rules of
 * Kafka's CleanedTransactionMetadata):
 *
 * - a transactional batch whose producer has an aborted transaction open at that offset (from the
 *   `.txnindex` entries) is aborted: its records never enter the offset map and are discarded;
 * - an ABORT marker may go once no batch of its transaction was seen in this pass (an earlier pass
 *   removed them); while batches remain, it stays and its index entry is carried into the cleaned
 *   segment's `.txnindex`;
 * - a COMMIT marker may go once no batch of its transaction was seen in this pass;
 * - a control batch already emptied by an earlier pass may go.
 *
 * "May go" for a marker means: the cleaner stamps a delete horizon on it first and drops it on a
 * pass after the horizon (KIP-534), so a consumer that read the transaction's data shortly before
 * still sees the marker.
 */
import { ControlRecordType } from '../protocol/records/records.js';
import type { AbortedTxnEntry } from './txn-index.js';

/** One aborted transaction the walk has entered: whether any of its batches was seen. */
interface OpenAbort {
  entry: AbortedTxnEntry;
  batchSeen: boolean;
}

export class CleanedTransactions {
  /** Aborted transactions not reached yet, ordered by first offset. */
  #pending: AbortedTxnEntry[] = [];
  #next = 0;
  /** Entries already added, so a transaction spanning segments is entered once. */
  readonly #known = new Set<string>();
  readonly #openAborts = new Map<number, OpenAbort>();
  readonly #openCommits = new Set<number>();
  /** Aborted transactions whose markers are kept, for the cleaned segment's index. */
  retainedAborts: AbortedTxnEntry[] = [];

  /** Adds the aborted transactions of the next stretch of the log (duplicates are ignored). */
  addAbortedTransactions(entries: readonly AbortedTxnEntry[]): void {
    let added = false;
    for (const e of entries) {
      const key = `${e.producerId}:${e.firstOffset}:${e.lastOffset}`;
      if (this.#known.has(key)) continue;
      this.#known.add(key);
      this.#pending.push(e);
      added = true;
    }
    if (!added) return;
    this.#pending = this.#pending.slice(this.#next).sort((a, b) => a.firstOffset - b.firstOffset);
    this.#next = 0;
  }

  #enterAbortsUpTo(offset: number): void {
    while (this.#next < this.#pending.length && this.#pending[this.#next]!.firstOffset <= offset) {
      const e = this.#pending[this.#next++]!;
      if (!this.#openAborts.has(e.producerId))
        this.#openAborts.set(e.producerId, { entry: e, batchSeen: false });
    }
  }

  /** A data batch. True when it belongs to an aborted transaction (its records are discarded). */
  onBatchRead(producerId: number, isTransactional: boolean, lastOffset: number): boolean {
    this.#enterAbortsUpTo(lastOffset);
    if (!isTransactional) return false;
    const abort = this.#openAborts.get(producerId);
    if (abort !== undefined) {
      abort.batchSeen = true;
      return true;
    }
    this.#openCommits.add(producerId);
    return false;
  }

  /**
   * A control batch (`controlType` -1 when it has no record left). True when the marker may be
   * discarded (after its delete horizon).
   */
  onControlBatchRead(producerId: number, controlType: number, lastOffset: number): boolean {
    this.#enterAbortsUpTo(lastOffset);
    if (controlType < 0) return true;
    if (controlType === ControlRecordType.abort) {
      const abort = this.#openAborts.get(producerId);
      this.#openAborts.delete(producerId);
      if (abort?.batchSeen) {
        this.retainedAborts.push(abort.entry);
        return false;
      }
      return true;
    }
    if (controlType === ControlRecordType.commit) return !this.#openCommits.delete(producerId);
    return false;
  }
}
