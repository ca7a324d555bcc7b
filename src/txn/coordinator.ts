/**
 * The transaction coordinator (DESIGN.md §6): transactional id → producer id, epoch, state and the
 * partitions of the open transaction, persisted in the compacted `__transaction_state` topic and
 * replayed at start. On one node the coordinator leads every partition, so it writes the commit or
 * abort markers itself (the same control batches WriteTxnMarkers carries) before completing.
 *
 * Every transition of one transactional id runs alone (a per-id chain): the state written to
 * `__transaction_state` first, then the markers, then the completion, as in Kafka.
 */
import { assert } from '../core/assert.js';
import type { Logger } from '../core/log.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { javaStringHashCode } from '../group/hash.js';
import { buildBatchSync, buildEndTxnMarker } from '../protocol/records/builder.js';
import {
  decodeTxnLogKey,
  decodeTxnLogValue,
  encodeTxnLogKey,
  encodeTxnLogValue,
  TxnState,
  type TxnStateValue,
} from './txn-log.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** Bound on transactional ids held by the coordinator (each costs a map entry and a log record). */
export const TRANSACTIONAL_IDS_MAX = 1_000_000;
/** Bound on partitions in one transaction. */
export const TXN_PARTITIONS_MAX = 100_000;
/** Epochs are int16; at this value the coordinator moves the transactional id to a new producer id. */
const EPOCH_MAX = 32767;

export interface TxnConfig {
  /** transaction.state.log.num.partitions (50). */
  numPartitions: number;
  /** transaction.max.timeout.ms (900000). */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms (604800000). */
  transactionalIdExpirationMs: number;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  /** Producer id before the last move to a new one (epoch exhaustion), or -1. */
  prevProducerId: number;
  producerEpoch: number;
  /** Epoch before the last bump, or -1 (a retried InitProducerId after a lost response). */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnStateValue;
  /** "topic\0partition" */
  partitions: Set<string>;
  startTimestamp: number;
  lastUpdateTimestamp: number;
}

/** What the coordinator needs from the broker (the replica layer and the group coordinator). */
export interface TxnHost {
  now(): number;
  logger: Logger;
  /** Appends `batch` to the partition as leader; throws a KafkaError when the partition is not here. */
  append(topic: string, partition: number, batch: Buffer): Promise<void>;
  /** The records (key, value) of one `__transaction_state` partition, in log order. */
  readStatePartition(partition: number): Promise<Array<{ key: Uint8Array; value: Uint8Array | null }>>;
  /** Creates `__transaction_state` when absent. */
  ensureStateTopic(partitions: number): Promise<void>;
  partitionExists(topic: string, partition: number): boolean;
  /** A new producer id (persisted block allocation). */
  generateProducerId(): number;
  /** A marker was written to `__consumer_offsets` partition: make the producer's pending offsets visible or drop them. */
  completeTxnOffsets(
    producerId: number,
    partition: number,
    commit: boolean,
    txnFirstOffset: number,
  ): Promise<void>;
  /** First offset of the producer's open transaction in a partition, or -1. */
  openTxnFirstOffset(topic: string, partition: number, producerId: number): number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitTp(key: string): [string, number] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

export class TransactionCoordinator {
  readonly config: TxnConfig;
  readonly #host: TxnHost;
  readonly #txns = new Map<string, TxnMetadata>();
  /** producer id → transactional id, for KIP-890 produce verification. */
  readonly #byProducerId = new Map<number, string>();
  readonly #chains = new Map<string, Promise<unknown>>();
  #loaded = false;
  readonly loaded: Promise<void>;

  constructor(host: TxnHost, config: TxnConfig) {
    this.#host = host;
    this.config = config;
    this.loaded = this.#load();
    this.loaded.catch((err: unknown) =>
      host.logger.error({ err: String(err) }, 'loading __transaction_state failed'),
    );
  }

  partitionFor(transactionalId: string): number {
    const h = javaStringHashCode(transactionalId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.config.numPartitions;
  }

  get isLoaded(): boolean {
    return this.#loaded;
  }

  transactions(): IterableIterator<TxnMetadata> {
    return this.#txns.values();
  }

  transaction(transactionalId: string): TxnMetadata | undefined {
    return this.#txns.get(transactionalId);
  }

  // ------------------------------------------------------------ load

  async #load(): Promise<void> {
    await this.#host.ensureStateTopic(this.config.numPartitions);
    for (let p = 0; p < this.config.numPartitions; p++) {
      for (const r of await this.#host.readStatePartition(p)) {
        let id: string;
        try {
          id = decodeTxnLogKey(r.key);
        } catch (err) {
          this.#host.logger.warn(
            { err: String(err), partition: p },
            'skipping unreadable __transaction_state key',
          );
          continue;
        }
        if (r.value === null) {
          this.#txns.delete(id);
          continue;
        }
        try {
          const v = decodeTxnLogValue(r.value);
          const partitions = new Set<string>();
          for (const [t, ps] of v.partitions) for (const x of ps) partitions.add(tpKey(t, x));
          this.#byProducerId.set(v.producerId, id);
          this.#txns.set(id, {
            transactionalId: id,
            producerId: v.producerId,
            prevProducerId: -1,
            producerEpoch: v.producerEpoch,
            lastProducerEpoch: -1,
            timeoutMs: v.timeoutMs,
            state: v.state,
            partitions,
            startTimestamp: v.startTimestamp,
            lastUpdateTimestamp: v.lastUpdateTimestamp,
          });
        } catch (err) {
          this.#host.logger.warn({ err: String(err), id }, 'skipping unreadable __transaction_state value');
        }
      }
    }
    this.#loaded = true;
    // Transactions caught between prepare and complete are completed now; open ones time out.
    for (const m of this.#txns.values()) {
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) {
        const commit = m.state === TxnState.PrepareCommit;
        this.#serial(m.transactionalId, () => this.#complete(m, commit)).catch((err: unknown) =>
          this.#host.logger.error(
            { err: String(err), id: m.transactionalId },
            'completing a transaction failed',
          ),
        );
      }
    }
    this.#host.logger.info({ transactionalIds: this.#txns.size }, 'loaded __transaction_state');
  }

  #checkLoaded(): void {
    if (!this.#loaded) fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, '__transaction_state is loading');
  }

  /** Runs `fn` after every earlier operation on the same transactional id. */
  #serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.#chains.set(id, tail);
    tail.then(() => {
      if (this.#chains.get(id) === tail) this.#chains.delete(id);
    });
    return run;
  }

  async #persist(m: TxnMetadata): Promise<void> {
    const partitions = new Map<string, number[]>();
    for (const k of m.partitions) {
      const [t, p] = splitTp(k);
      let list = partitions.get(t);
      if (!list) {
        list = [];
        partitions.set(t, list);
      }
      list.push(p);
    }
    const batch = buildBatchSync([
      {
        key: encodeTxnLogKey(m.transactionalId),
        value: encodeTxnLogValue({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          timeoutMs: m.timeoutMs,
          state: m.state,
          partitions,
          lastUpdateTimestamp: m.lastUpdateTimestamp,
          startTimestamp: m.startTimestamp,
        }),
      },
    ]);
    await this.#host.append(TRANSACTION_STATE_TOPIC, this.partitionFor(m.transactionalId), batch);
  }

  // ------------------------------------------------------------ InitProducerId

  async initProducerId(
    transactionalId: string | null,
    timeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ): Promise<InitProducerIdResult> {
    if (transactionalId === null)
      return { errorCode: ErrorCode.NONE, producerId: this.#host.generateProducerId(), producerEpoch: 0 };
    if (transactionalId === '') fail(ErrorCode.INVALID_REQUEST, 'empty transactional id');
    if (timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs)
      fail(
        ErrorCode.INVALID_TRANSACTION_TIMEOUT,
        `transaction timeout ${timeoutMs} is outside (0, ${this.config.maxTimeoutMs}]`,
      );
    this.#checkLoaded();
    return this.#serial(transactionalId, async () => {
      const now = this.#host.now();
      let m = this.#txns.get(transactionalId);
      if (m === undefined) {
        if (this.#txns.size >= TRANSACTIONAL_IDS_MAX)
          fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'too many transactional ids');
        m = {
          transactionalId,
          producerId: this.#host.generateProducerId(),
          prevProducerId: -1,
          producerEpoch: 0,
          lastProducerEpoch: -1,
          timeoutMs,
          state: TxnState.Empty,
          partitions: new Set(),
          startTimestamp: -1,
          lastUpdateTimestamp: now,
        };
        await this.#persist(m);
        this.#txns.set(transactionalId, m);
        this.#byProducerId.set(m.producerId, transactionalId);
        return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      if (producerId !== -1) {
        // KIP-360: a producer re-initialising names its current id and epoch.
        const retry =
          producerId === m.producerId && producerEpoch === m.lastProducerEpoch && m.state === TxnState.Empty;
        if (retry)
          return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
        if (producerId !== m.producerId && producerId !== m.prevProducerId)
          fail(
            ErrorCode.PRODUCER_FENCED,
            `producer ${producerId} is not the current one of ${transactionalId}`,
          );
        if (producerId === m.producerId && producerEpoch !== m.producerEpoch)
          fail(ErrorCode.PRODUCER_FENCED, `epoch ${producerEpoch} is not the current ${m.producerEpoch}`);
      }
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
        fail(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} is completing a transaction`);
      m.timeoutMs = timeoutMs;
      this.#bumpEpoch(m);
      if (m.state === TxnState.Ongoing) {
        // Fence the previous producer: abort its transaction with the new epoch.
        await this.#prepareAndComplete(m, false);
      } else {
        m.state = TxnState.Empty;
        m.partitions = new Set();
        m.lastUpdateTimestamp = now;
        await this.#persist(m);
      }
      return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
    });
  }

  #bumpEpoch(m: TxnMetadata): void {
    if (m.producerEpoch >= EPOCH_MAX - 1) {
      m.prevProducerId = m.producerId;
      m.producerId = this.#host.generateProducerId();
      this.#byProducerId.delete(m.prevProducerId);
      this.#byProducerId.set(m.producerId, m.transactionalId);
      m.lastProducerEpoch = -1;
      m.producerEpoch = 0;
    } else {
      m.lastProducerEpoch = m.producerEpoch;
      m.producerEpoch++;
    }
  }

  // ------------------------------------------------------------ checks

  /** The transaction of `id` if the producer id and epoch are its current ones, else Kafka's error. */
  #current(id: string, producerId: number, producerEpoch: number): TxnMetadata {
    this.#checkLoaded();
    const m = this.#txns.get(id);
    if (m === undefined) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `unknown transactional id ${id}`);
    if (m.producerId !== producerId)
      fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer ${producerId} does not own ${id}`);
    if (m.producerEpoch !== producerEpoch)
      fail(ErrorCode.PRODUCER_FENCED, `epoch ${producerEpoch} of ${id} is fenced by ${m.producerEpoch}`);
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
      fail(ErrorCode.CONCURRENT_TRANSACTIONS, `${id} is completing a transaction`);
    return m;
  }

  // ------------------------------------------------------------ AddPartitionsToTxn / AddOffsetsToTxn

  /**
   * Adds partitions to the open transaction (opening it). Returns per-partition error codes: an
   * unknown partition fails with UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.
   */
  addPartitions(
    id: string,
    producerId: number,
    producerEpoch: number,
    partitions: ReadonlyArray<[string, number]>,
  ): Promise<Map<string, number>> {
    this.#checkLoaded();
    return this.#serial(id, async () => {
      const m = this.#current(id, producerId, producerEpoch);
      const result = new Map<string, number>();
      const unknown = partitions.filter(([t, p]) => !this.#host.partitionExists(t, p));
      if (unknown.length > 0) {
        for (const [t, p] of partitions)
          result.set(
            tpKey(t, p),
            this.#host.partitionExists(t, p)
              ? ErrorCode.OPERATION_NOT_ATTEMPTED
              : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          );
        return result;
      }
      const fresh = partitions.filter(([t, p]) => !m.partitions.has(tpKey(t, p)));
      if (m.partitions.size + fresh.length > TXN_PARTITIONS_MAX)
        fail(ErrorCode.INVALID_REQUEST, `more than ${TXN_PARTITIONS_MAX} partitions in one transaction`);
      if (fresh.length > 0 || m.state !== TxnState.Ongoing) {
        const now = this.#host.now();
        const next: TxnMetadata = { ...m, partitions: new Set(m.partitions) };
        if (m.state !== TxnState.Ongoing) {
          next.state = TxnState.Ongoing;
          next.startTimestamp = now;
          next.partitions = new Set();
        }
        for (const [t, p] of fresh) next.partitions.add(tpKey(t, p));
        next.lastUpdateTimestamp = now;
        await this.#persist(next);
        Object.assign(m, next);
      }
      for (const [t, p] of partitions) result.set(tpKey(t, p), ErrorCode.NONE);
      return result;
    });
  }

  /** KIP-890 verification (AddPartitionsToTxn v4+ verifyOnly): is each partition in the open transaction? */
  verifyPartitions(
    id: string,
    producerId: number,
    producerEpoch: number,
    partitions: ReadonlyArray<[string, number]>,
  ): Map<string, number> {
    const result = new Map<string, number>();
    let m: TxnMetadata | undefined;
    let code: number = ErrorCode.NONE;
    try {
      m = this.#current(id, producerId, producerEpoch);
    } catch (err) {
      code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    for (const [t, p] of partitions) {
      const k = tpKey(t, p);
      if (m === undefined) result.set(k, code);
      else
        result.set(
          k,
          m.state === TxnState.Ongoing && m.partitions.has(k) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE,
        );
    }
    return result;
  }

  /**
   * KIP-890 part 1 (produce-side verification): a transactional batch is accepted in a partition
   * only while its producer's transaction is open and includes that partition.
   */
  verifyProduce(producerId: number, producerEpoch: number, topic: string, partition: number): number {
    if (!this.#loaded) return ErrorCode.NOT_ENOUGH_REPLICAS;
    const id = this.#byProducerId.get(producerId);
    const m = id === undefined ? undefined : this.#txns.get(id);
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_TXN_STATE;
    if (producerEpoch < m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (m.state !== TxnState.Ongoing || !m.partitions.has(tpKey(topic, partition)))
      return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------ EndTxn

  endTxn(id: string, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
    this.#checkLoaded();
    return this.#serial(id, async () => {
      const m = this.#txns.get(id);
      // A retry after the response was lost: the transaction already completed the same way.
      if (
        m !== undefined &&
        m.producerId === producerId &&
        m.producerEpoch === producerEpoch &&
        ((commit && m.state === TxnState.CompleteCommit) || (!commit && m.state === TxnState.CompleteAbort))
      )
        return;
      const cur = this.#current(id, producerId, producerEpoch);
      if (cur.state !== TxnState.Ongoing)
        fail(ErrorCode.INVALID_TXN_STATE, `${id} has no open transaction to ${commit ? 'commit' : 'abort'}`);
      await this.#prepareAndComplete(cur, commit);
    });
  }

  async #prepareAndComplete(m: TxnMetadata, commit: boolean): Promise<void> {
    m.state = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    m.lastUpdateTimestamp = this.#host.now();
    await this.#persist(m);
    await this.#complete(m, commit);
  }

  /** Writes the markers to every partition of the transaction, then the completed state. */
  async #complete(m: TxnMetadata, commit: boolean): Promise<void> {
    const now = this.#host.now();
    await Promise.all(
      [...m.partitions].map(async (k) => {
        const [topic, partition] = splitTp(k);
        await this.writeMarker(topic, partition, m.producerId, m.producerEpoch, commit);
      }),
    );
    m.state = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    m.partitions = new Set();
    m.lastUpdateTimestamp = now;
    await this.#persist(m);
  }

  /** Appends one commit/abort marker (WriteTxnMarkers' effect) to a partition this broker leads. */
  async writeMarker(
    topic: string,
    partition: number,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
  ): Promise<void> {
    if (!this.#host.partitionExists(topic, partition)) {
      this.#host.logger.warn(
        { topic, partition, producerId },
        'transaction marker for a partition that is gone',
      );
      return;
    }
    const offsets = topic === '__consumer_offsets';
    const first = offsets ? this.#host.openTxnFirstOffset(topic, partition, producerId) : -1;
    const marker = buildEndTxnMarker({ producerId, producerEpoch, commit, coordinatorEpoch: 0 });
    await this.#host.append(topic, partition, marker);
    if (offsets) await this.#host.completeTxnOffsets(producerId, partition, commit, first);
  }

  // ------------------------------------------------------------ timeouts and expiration

  /** Aborts (with an epoch bump, fencing the producer) every transaction open past its timeout. */
  async abortTimedOut(): Promise<number> {
    if (!this.#loaded) return 0;
    const now = this.#host.now();
    let n = 0;
    for (const m of [...this.#txns.values()]) {
      if (m.state !== TxnState.Ongoing || m.startTimestamp + m.timeoutMs > now) continue;
      n++;
      await this.#serial(m.transactionalId, async () => {
        if (m.state !== TxnState.Ongoing || m.startTimestamp + m.timeoutMs > this.#host.now()) return;
        this.#host.logger.info(
          { transactionalId: m.transactionalId, producerId: m.producerId },
          'aborting a transaction past its timeout',
        );
        this.#bumpEpoch(m);
        await this.#prepareAndComplete(m, false);
      });
    }
    return n;
  }

  /** Removes transactional ids idle past transactional.id.expiration.ms (tombstones in the log). */
  async expireTransactionalIds(): Promise<number> {
    if (!this.#loaded) return 0;
    const now = this.#host.now();
    let n = 0;
    for (const m of [...this.#txns.values()]) {
      if (
        m.state === TxnState.Ongoing ||
        m.state === TxnState.PrepareAbort ||
        m.state === TxnState.PrepareCommit
      )
        continue;
      if (m.lastUpdateTimestamp + this.config.transactionalIdExpirationMs > now) continue;
      await this.#serial(m.transactionalId, async () => {
        const batch = buildBatchSync([{ key: encodeTxnLogKey(m.transactionalId), value: null }]);
        await this.#host.append(TRANSACTION_STATE_TOPIC, this.partitionFor(m.transactionalId), batch);
        this.#txns.delete(m.transactionalId);
        this.#byProducerId.delete(m.producerId);
      });
      n++;
    }
    return n;
  }
}

export function txnPartitionKey(topic: string, partition: number): string {
  return tpKey(topic, partition);
}

export function splitTxnPartitionKey(key: string): [string, number] {
  assert(key.includes('\u0000'), 'not a transaction partition key');
  return splitTp(key);
}
