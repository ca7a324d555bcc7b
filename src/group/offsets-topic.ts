import { ErrorCode, KafkaError } from '../errors.js';
import type { BrokerServices, GroupServices } from '../handlers/types.js';
import { wholeBatchChunks } from '../replica/whole-batches.js';
import { withoutUncommittedBatches } from '../txn/committed-batches.js';
import { buildBatch, recordsOf } from './batch-codec.js';
import type { GroupCoordinatorConfig } from './config.js';
import { GroupCoordinator, type OffsetsLog } from './coordinator.js';
import type { CoordinatorRecord } from './records.js';
import { SystemTimer } from './timer.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Bytes read per step while replaying a partition at load. */
const loadReadBytes = 4 * 1024 * 1024;

/** `__consumer_offsets` as the replica layer holds it: appends go through the partition leader. */
class ReplicaOffsetsLog implements OffsetsLog {
  readonly #services: BrokerServices;
  constructor(services: BrokerServices) {
    this.#services = services;
  }

  async append(partition: number, records: CoordinatorRecord[]): Promise<void> {
    const p = this.#services.replicas.partition(OFFSETS_TOPIC, partition);
    if (p === undefined)
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${OFFSETS_TOPIC}-${partition} is not here`);
    await p.appendAsLeader(buildBatch(records, Date.now()), null);
  }
}

function coordinatorConfig(services: BrokerServices): Partial<GroupCoordinatorConfig> {
  const c = services.config;
  const num = (name: string, fallback: number): number => c.intOrNull(name) ?? fallback;
  return {
    groupMinSessionTimeoutMs: num('group.min.session.timeout.ms', 6000),
    groupMaxSessionTimeoutMs: num('group.max.session.timeout.ms', 1_800_000),
    groupInitialRebalanceDelayMs: num('group.initial.rebalance.delay.ms', 3000),
    groupMaxSize: num('group.max.size', 2_147_483_647),
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions', 50),
    offsetsRetentionMs: num('offsets.retention.minutes', 10080) * 60_000,
    offsetsRetentionCheckIntervalMs: num('offsets.retention.check.interval.ms', 600_000),
    offsetMetadataMaxBytes: num('offset.metadata.max.bytes', 4096),
    messageMaxBytes: num('message.max.bytes', 1_048_588),
    consumerSessionTimeoutMs: num('group.consumer.session.timeout.ms', 45_000),
    consumerHeartbeatIntervalMs: num('group.consumer.heartbeat.interval.ms', 5000),
    consumerGroupMaxSize: num('group.consumer.max.size', 2_147_483_647),
    consumerDefaultAssignor:
      (c.get('group.consumer.assignors') ?? 'uniform').split(',')[0]?.trim() || 'uniform',
  };
}

/**
 * The group coordinator as the broker runs it: created on the first group request (as Kafka
 * creates `__consumer_offsets` on the first FindCoordinator), then loads every partition of the
 * topic; until a partition is replayed its groups answer COORDINATOR_LOAD_IN_PROGRESS.
 */
export class GroupRuntime implements GroupServices {
  readonly coordinator: GroupCoordinator;
  readonly #services: BrokerServices;
  readonly #expiry: NodeJS.Timeout;
  readonly loaded: Promise<void>;
  /** Resolves once `__consumer_offsets` exists (FindCoordinator waits for it). */
  readonly topicReady: Promise<void>;

  constructor(services: BrokerServices) {
    this.#services = services;
    this.coordinator = new GroupCoordinator({
      log: new ReplicaOffsetsLog(services),
      timer: new SystemTimer(),
      topics: {
        byName: (name) => {
          const t = services.metadata.topic(name);
          return t === undefined ? undefined : { topicId: t.topicId, partitions: t.partitions.length };
        },
        names: () => services.metadata.topics().map((t) => t.name),
      },
      config: coordinatorConfig(services),
      logger: services.logger,
    });
    const n = this.coordinator.config.offsetsTopicNumPartitions;
    this.coordinator.beginLoading(Array.from({ length: n }, (_, i) => i));
    this.topicReady = this.#ensureTopic(n).catch((err: unknown) => {
      services.logger.error({ err: String(err) }, 'creating __consumer_offsets failed');
    });
    this.loaded = this.#load().catch((err: unknown) => {
      services.logger.error({ err: String(err) }, 'loading __consumer_offsets failed');
    });
    this.#expiry = setInterval(() => {
      this.coordinator.expireOffsets().catch((err: unknown) => {
        services.logger.warn({ err: String(err) }, 'offset expiration failed');
      });
    }, this.coordinator.config.offsetsRetentionCheckIntervalMs);
    this.#expiry.unref();
  }

  async #load(): Promise<void> {
    const n = this.coordinator.config.offsetsTopicNumPartitions;
    await this.topicReady;
    const started = Date.now();
    let replayed = 0;
    for (let p = 0; p < n; p++) {
      const records: CoordinatorRecord[] = [];
      try {
        await this.#readPartition(p, records);
      } catch (err) {
        // Serve what was readable rather than answer COORDINATOR_LOAD_IN_PROGRESS forever.
        this.#services.logger.error(
          { partition: p, err: String(err) },
          'replaying __consumer_offsets stopped early',
        );
      }
      replayed += records.length;
      this.coordinator.loadPartition(p, records);
    }
    this.#services.logger.info(
      {
        partitions: n,
        records: replayed,
        groups: this.coordinator.groupCount + this.coordinator.consumer.groups.size,
        ms: Date.now() - started,
      },
      `loaded ${OFFSETS_TOPIC}`,
    );
  }

  #ensureTopic(partitions: number): Promise<void> {
    return this.#services.controller.ensureInternalTopic(OFFSETS_TOPIC, partitions);
  }

  async #readPartition(partition: number, records: CoordinatorRecord[]): Promise<void> {
    const p = this.#services.replicas.partition(OFFSETS_TOPIC, partition);
    if (p === undefined) return;
    for await (const { chunk, from, next } of wholeBatchChunks(
      p,
      p.logStartOffset,
      () => p.highWatermark,
      loadReadBytes,
    )) {
      // Transactional offset commits count only once their transaction committed.
      const committed = withoutUncommittedBatches(
        chunk,
        p.abortedTransactions(from, next),
        p.lastStableOffset,
      );
      for (const r of recordsOf(committed)) records.push(r);
    }
  }

  onTopicsDeleted(topics: readonly string[]): Promise<void> {
    return this.coordinator.onTopicsDeleted(topics);
  }

  close(): void {
    clearInterval(this.#expiry);
    this.coordinator.close();
  }
}

/**
 * Whether group requests are served without COORDINATOR_LOAD_IN_PROGRESS: every partition of
 * `__consumer_offsets` replayed. Without the topic there is nothing to load (the first
 * FindCoordinator creates it empty). With it, this starts the coordinator and its load if no
 * group request has yet, as Kafka loads its coordinator partitions when the broker starts.
 */
export function groupsLoaded(services: BrokerServices): boolean {
  if (!(services.groups instanceof GroupRuntime) && services.metadata.topic(OFFSETS_TOPIC) === undefined)
    return true;
  return !groupRuntime(services).coordinator.isLoading();
}

/** The broker's group coordinator, created on first use. */
export function groupRuntime(services: BrokerServices): GroupRuntime {
  const existing = services.groups;
  if (existing instanceof GroupRuntime) return existing;
  const runtime = new GroupRuntime(services);
  services.groups = runtime;
  return runtime;
}
