/**
 * Cluster metadata: topics (name, id, partitions with their replica assignment and leader
 * epoch, configs), the cluster id and dynamic broker configs. One interface, implemented by
 * the local file store (single node) and later by etcd.
 */

export interface PartitionMetadata {
  readonly partition: number;
  /** Replica broker ids; the first is the preferred leader. */
  readonly replicas: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
}

export interface TopicMetadata {
  readonly name: string;
  /** Kafka's Uuid in its string form (URL-safe base64 of 16 bytes, no padding). */
  readonly topicId: string;
  readonly partitions: readonly PartitionMetadata[];
  /** Topic-level config overrides by Kafka's names (only what was set explicitly). */
  readonly configs: Readonly<Record<string, string>>;
  readonly internal: boolean;
}

export interface MetadataState {
  readonly clusterId: string;
  readonly topics: readonly TopicMetadata[];
  /** Dynamic broker configs set through the Admin API, restored at start. */
  readonly brokerConfigs: Readonly<Record<string, string>>;
}

export interface MetadataStore {
  readonly clusterId: string;
  topics(): readonly TopicMetadata[];
  topic(name: string): TopicMetadata | undefined;
  topicById(topicId: string): TopicMetadata | undefined;
  /** Adds a topic; the caller has checked the name is free. Durable when the promise resolves. */
  createTopic(topic: TopicMetadata): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Replaces a topic's partition list (CreatePartitions) or configs (AlterConfigs). */
  updateTopic(topic: TopicMetadata): Promise<void>;
  brokerConfigs(): Readonly<Record<string, string>>;
  setBrokerConfigs(configs: Record<string, string>): Promise<void>;
  /** Subscribes to topic changes (create, delete, update), for the replica manager. */
  close(): Promise<void>;
}
