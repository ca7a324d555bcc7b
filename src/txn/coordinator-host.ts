/**
 * The transaction coordinator on the replica layer and its bridge to the group coordinator
 * (pending transactional offset commits). Loaded by TxnRuntime at the first transactional request,
 * or at start when `__transaction_state` exists, so a broker without transactions never loads it.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { recordsOf } from '../group/batch-codec.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { CommittedOffset } from '../group/offsets.js';
import { groupRuntime, OFFSETS_TOPIC } from '../group/offsets-topic.js';
import { decodeCoordinatorRecord } from '../group/records.js';
import type { BrokerServices } from '../handlers/types.js';
import {
  producerId as batchProducerId,
  batchSize,
  isControl,
  isTransactional,
} from '../protocol/records/batch.js';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TxnHost } from './coordinator.js';
import type { ProducerStateRegistry } from './producer-state-manager.js';
import { wholeBatchChunks } from '../replica/whole-batches.js';
import { configNumber, type TxnRuntime } from './runtime.js';

/** Bound on transactional offset commits waiting for their marker, across all producers. */
export const PENDING_TXN_OFFSETS_MAX = 1_000_000;
const LOAD_READ_BYTES = 4 * 1024 * 1024;

interface PendingOffset {
  groupId: string;
  topic: string;
  partition: number;
  value: CommittedOffset;
}

export class TxnCoordinatorHost implements TxnHost {
  readonly #runtime: TxnRuntime;
  readonly services: BrokerServices;
  #coordinator: TransactionCoordinator | null = null;
  /** producer id → `__consumer_offsets` partition → offsets committed in its open transaction. */
  readonly #pendingOffsets = new Map<number, Map<number, PendingOffset[]>>();
  #pendingCount = 0;

  constructor(runtime: TxnRuntime, services: BrokerServices) {
    this.#runtime = runtime;
    this.services = services;
  }

  get logger() {
    return this.services.logger;
  }

  get producerStates(): ProducerStateRegistry {
    return this.#runtime.producerStates;
  }

  /** The transaction coordinator, created (and `__transaction_state` loaded) on first use. */
  coordinator(): TransactionCoordinator {
    if (this.#coordinator === null) {
      const s = this.services;
      this.#coordinator = new TransactionCoordinator(this, {
        numPartitions: configNumber(s, 'transaction.state.log.num.partitions', 50),
        maxTimeoutMs: configNumber(s, 'transaction.max.timeout.ms', 900_000),
        transactionalIdExpirationMs: configNumber(s, 'transactional.id.expiration.ms', 604_800_000),
      });
    }
    return this.#coordinator;
  }

  /** The coordinator if it exists (admin APIs do not create it). */
  existingCoordinator(): TransactionCoordinator | null {
    return this.#coordinator;
  }

  // ------------------------------------------------------------ TxnHost

  now(): number {
    return Date.now();
  }

  generateProducerId(): number {
    return this.#runtime.generateProducerId();
  }

  partitionExists(topic: string, partition: number): boolean {
    return this.services.replicas.partition(topic, partition) !== undefined;
  }

  async append(topic: string, partition: number, batch: Buffer): Promise<void> {
    const p = this.services.replicas.partition(topic, partition);
    if (p === undefined)
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is not here`);
    await p.appendAsLeader(batch, null);
  }

  ensureStateTopic(partitions: number): Promise<void> {
    return this.services.controller.ensureInternalTopic(TRANSACTION_STATE_TOPIC, partitions);
  }

  async readStatePartition(partition: number): Promise<Array<{ key: Uint8Array; value: Uint8Array | null }>> {
    const p = this.services.replicas.partition(TRANSACTION_STATE_TOPIC, partition);
    if (p === undefined) return [];
    const out: Array<{ key: Uint8Array; value: Uint8Array | null }> = [];
    for await (const { chunk } of wholeBatchChunks(
      p,
      p.logStartOffset,
      () => p.highWatermark,
      LOAD_READ_BYTES,
    ))
      for (const r of recordsOf(chunk)) out.push(r);
    return out;
  }

  // ------------------------------------------------------------ transactional offsets

  /** Remembers offsets written by TxnOffsetCommit until the transaction's marker. */
  addPendingOffsets(producerId: number, offsetsPartition: number, offsets: PendingOffset[]): void {
    // OffsetFetch with require_stable asks the group coordinator about these; install the lookup
    // here rather than at start, so a broker without transactions never creates __consumer_offsets.
    groupRuntime(this.services).coordinator.hasPendingTransactionalOffset = this.#hasPendingOffset;
    if (this.#pendingCount + offsets.length > PENDING_TXN_OFFSETS_MAX)
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'too many pending transactional offsets');
    let byPartition = this.#pendingOffsets.get(producerId);
    if (!byPartition) {
      byPartition = new Map();
      this.#pendingOffsets.set(producerId, byPartition);
    }
    let list = byPartition.get(offsetsPartition);
    if (!list) {
      list = [];
      byPartition.set(offsetsPartition, list);
    }
    list.push(...offsets);
    this.#pendingCount += offsets.length;
  }

  /** Bounded by PENDING_TXN_OFFSETS_MAX entries in all; asked only by require_stable fetches. */
  readonly #hasPendingOffset = (groupId: string, topic: string, partition: number): boolean => {
    for (const byPartition of this.#pendingOffsets.values())
      for (const list of byPartition.values())
        for (const o of list)
          if (o.groupId === groupId && o.topic === topic && o.partition === partition) return true;
    return false;
  };

  openTxnFirstOffset(topic: string, partition: number, producerId: number): number {
    return this.producerStates.get(topic, partition)?.producer(producerId)?.currentTxnFirstOffset ?? -1;
  }

  async completeTxnOffsets(
    producerId: number,
    partition: number,
    commit: boolean,
    txnFirstOffset: number,
  ): Promise<void> {
    const byPartition = this.#pendingOffsets.get(producerId);
    let list = byPartition?.get(partition);
    if (byPartition && list) {
      byPartition.delete(partition);
      if (byPartition.size === 0) this.#pendingOffsets.delete(producerId);
      this.#pendingCount -= list.length;
    }
    if (!commit) return;
    // Nothing pending in memory (the broker restarted inside the transaction): read the commits back from the log.
    if (!list) {
      if (txnFirstOffset < 0) return;
      list = await this.#readTxnOffsets(producerId, partition, txnFirstOffset);
    }
    const byGroup = new Map<string, PendingOffset[]>();
    for (const o of list) {
      let g = byGroup.get(o.groupId);
      if (!g) {
        g = [];
        byGroup.set(o.groupId, g);
      }
      g.push(o);
    }
    const groups = groupRuntime(this.services).coordinator;
    for (const [groupId, offsets] of byGroup) groups.applyTransactionalOffsets(groupId, offsets);
  }

  /** The offset commits a producer's transaction wrote to a `__consumer_offsets` partition from `from` on. */
  async #readTxnOffsets(producerId: number, partition: number, from: number): Promise<PendingOffset[]> {
    const p = this.services.replicas.partition(OFFSETS_TOPIC, partition);
    const out: PendingOffset[] = [];
    if (p === undefined) return out;
    for await (const { chunk } of wholeBatchChunks(p, from, () => p.logEndOffset, LOAD_READ_BYTES)) {
      const mine: Buffer[] = [];
      for (let pos = 0; pos < chunk.length; pos += batchSize(chunk, pos))
        if (
          isTransactional(chunk, pos) &&
          !isControl(chunk, pos) &&
          batchProducerId(chunk, pos) === producerId
        )
          mine.push(chunk.subarray(pos, pos + batchSize(chunk, pos)));
      for (const r of recordsOf(Buffer.concat(mine))) {
        const d = decodeCoordinatorRecord(r);
        if (d.type === 'offset' && d.value !== null)
          out.push({ groupId: d.key.group, topic: d.key.topic, partition: d.key.partition, value: d.value });
      }
    }
    return out;
  }

  /** The broker's group coordinator (TxnOffsetCommit asks it about the member a commit names). */
  groupCoordinator(): GroupCoordinator {
    return groupRuntime(this.services).coordinator;
  }

  /** The `__consumer_offsets` partition of a group (creating the topic when needed). */
  async offsetsPartitionFor(groupId: string): Promise<number> {
    const runtime = groupRuntime(this.services);
    await runtime.topicReady;
    return runtime.coordinator.partitionFor(groupId);
  }
}

export { OFFSETS_TOPIC };
