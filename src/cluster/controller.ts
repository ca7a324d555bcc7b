import type { Logger } from '../core/log.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { BrokerConfig } from './config.js';
import type { MetadataStore, PartitionMetadata, TopicMetadata } from './metadata-store.js';
import { checkTopicConfigs } from './topic-config.js';
import { randomUuid } from './uuid.js';

/** The broker setting that sizes each internal topic's segments (Kafka's names). */
const INTERNAL_SEGMENT_BYTES: Readonly<Record<string, string>> = {
  __consumer_offsets: 'offsets.topic.segment.bytes',
  __transaction_state: 'transaction.state.log.segment.bytes',
};

/** Kafka's Topic.MAX_NAME_LENGTH. */
export const TOPIC_NAME_MAX_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Most partitions one topic may have on this broker (each is open files and memory). */
export const TOPIC_PARTITIONS_MAX = 10_000;

/** Why `name` is not a legal topic name (Kafka's Topic.validate), or null. */
export function checkTopicName(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_MAX_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_MAX_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export interface CreateTopicSpec {
  readonly name: string;
  /** -1: num.partitions. */
  readonly numPartitions: number;
  /** -1: default.replication.factor. */
  readonly replicationFactor: number;
  /** Manual assignment: partition index → broker ids. Empty when not given. */
  readonly assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  readonly configs: Readonly<Record<string, string | null>>;
}

/**
 * The single node's controller: it decides topic creation, deletion and partition growth,
 * records them in the metadata store, then has the replica manager open or delete the logs.
 * Failures a client caused throw KafkaError with Kafka's code and message.
 */
export class Controller {
  readonly #store: MetadataStore;
  readonly #config: BrokerConfig;
  readonly #replicas: ReplicaManager;
  readonly #log: Logger;
  readonly #nodeId: number;
  /** Topic changes run one at a time, so checks and writes do not interleave. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(store: MetadataStore, config: BrokerConfig, replicas: ReplicaManager, log: Logger) {
    this.#store = store;
    this.#config = config;
    this.#replicas = replicas;
    this.#log = log;
    this.#nodeId = config.nodeId();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Opens the logs of every topic recorded in the metadata store (broker start). */
  async startup(): Promise<void> {
    for (const t of this.#store.topics()) await this.#replicas.ensureTopic(t);
  }

  /** Checks a topic creation and, unless validateOnly, performs it. Returns the topic (as it would be). */
  /**
   * Creates a compacted internal topic (`__consumer_offsets`, `__transaction_state`) unless it
   * exists; a concurrent creation of the same topic is not an error.
   */
  async ensureInternalTopic(name: string, numPartitions: number): Promise<void> {
    if (this.#store.topic(name) !== undefined) return;
    try {
      await this.createTopic(
        {
          name,
          numPartitions,
          replicationFactor: 1,
          assignments: [],
          configs: {
            'cleanup.policy': 'compact',
            'compression.type': 'producer',
            'segment.bytes': String(
              this.#config.int(INTERNAL_SEGMENT_BYTES[name] ?? 'offsets.topic.segment.bytes'),
            ),
          },
        },
        false,
      );
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
    }
  }

  createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicMetadata> {
    return this.#serial(async () => {
      const topic = this.#plan(spec);
      if (validateOnly) return topic;
      await this.#store.createTopic(topic);
      await this.#replicas.ensureTopic(topic);
      this.#log.info(
        { topic: topic.name, topicId: topic.topicId, partitions: topic.partitions.length },
        'created topic',
      );
      return topic;
    });
  }

  #plan(spec: CreateTopicSpec): TopicMetadata {
    const nameProblem = checkTopicName(spec.name);
    if (nameProblem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.#store.topic(spec.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    }
    const configProblem = checkTopicConfigs(spec.configs);
    if (configProblem) throw new KafkaError(ErrorCode.INVALID_CONFIG, configProblem);
    let partitions: PartitionMetadata[];
    if (spec.assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      partitions = this.#manualAssignment(spec.assignments, 0);
    } else {
      const count = spec.numPartitions === -1 ? this.#config.int('num.partitions') : spec.numPartitions;
      const rf =
        spec.replicationFactor === -1
          ? this.#config.int('default.replication.factor')
          : spec.replicationFactor;
      if (count <= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          'Number of partitions was set to an invalid non-positive value.',
        );
      }
      if (count > TOPIC_PARTITIONS_MAX) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Number of partitions ${count} exceeds ${TOPIC_PARTITIONS_MAX}.`,
        );
      }
      this.#checkReplicationFactor(rf);
      partitions = [];
      for (let i = 0; i < count; i++) partitions.push(this.#newPartition(i, [this.#nodeId]));
    }
    const configs: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.configs)) if (v !== null) configs[k] = v;
    return {
      name: spec.name,
      topicId: randomUuid(),
      partitions,
      configs,
      internal: spec.name === '__consumer_offsets' || spec.name === '__transaction_state',
    };
  }

  #checkReplicationFactor(rf: number): void {
    if (rf <= 0) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        'Replication factor must be larger than 0, or -1 to use the default value.',
      );
    }
    if (rf > 1) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`,
      );
    }
  }

  #newPartition(index: number, replicas: readonly number[]): PartitionMetadata {
    return { partition: index, replicas, leader: replicas[0]!, leaderEpoch: 0 };
  }

  #manualAssignment(
    assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[],
    firstIndex: number,
  ): PartitionMetadata[] {
    if (assignments.length > TOPIC_PARTITIONS_MAX) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `Number of partitions exceeds ${TOPIC_PARTITIONS_MAX}.`,
      );
    }
    const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    return sorted.map((a, i) => {
      if (a.partitionIndex !== firstIndex + i) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Partitions should be consecutive and start from 0 (or the current partition count).',
        );
      }
      if (a.brokerIds.length === 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `The manual partition assignment includes a partition with no replicas.`,
        );
      }
      if (new Set(a.brokerIds).size !== a.brokerIds.length) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes duplicate replicas.',
        );
      }
      for (const b of a.brokerIds) {
        if (b !== this.#nodeId) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `The manual partition assignment includes broker ${b}, but no broker with that id is registered.`,
          );
        }
      }
      return this.#newPartition(a.partitionIndex, a.brokerIds);
    });
  }

  deleteTopic(name: string): Promise<TopicMetadata> {
    return this.#serial(async () => {
      const topic = this.#store.topic(name);
      if (!topic) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          'This server does not host this topic-partition.',
        );
      }
      await this.#store.deleteTopic(name);
      await this.#replicas.deleteTopic(topic);
      this.#log.info({ topic: name, topicId: topic.topicId }, 'deleted topic');
      return topic;
    });
  }

  createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    validateOnly: boolean,
  ): Promise<TopicMetadata> {
    return this.#serial(async () => {
      const topic = this.#store.topic(name);
      if (!topic)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          'This server does not host this topic-partition.',
        );
      const current = topic.partitions.length;
      if (count < current) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
        );
      }
      if (count === current) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
      }
      if (count > TOPIC_PARTITIONS_MAX) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Number of partitions ${count} exceeds ${TOPIC_PARTITIONS_MAX}.`,
        );
      }
      let added: PartitionMetadata[];
      if (assignments) {
        if (assignments.length !== count - current) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${count - current} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
          );
        }
        added = this.#manualAssignment(
          assignments.map((brokerIds, i) => ({ partitionIndex: current + i, brokerIds })),
          current,
        );
      } else {
        added = [];
        for (let i = current; i < count; i++) added.push(this.#newPartition(i, [this.#nodeId]));
      }
      const updated: TopicMetadata = { ...topic, partitions: [...topic.partitions, ...added] };
      if (validateOnly) return updated;
      await this.#store.updateTopic(updated);
      await this.#replicas.ensureTopic(updated);
      this.#log.info({ topic: name, partitions: count }, 'added partitions');
      return updated;
    });
  }

  /** Replaces a topic's config overrides (already checked by the caller). */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.#serial(async () => {
      const topic = this.#store.topic(name);
      if (!topic)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          'This server does not host this topic-partition.',
        );
      await this.#store.updateTopic({ ...topic, configs });
      await this.#replicas.reconfigureTopic(this.#store.topic(name)!);
    });
  }
}
