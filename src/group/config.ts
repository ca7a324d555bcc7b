/** Group coordinator settings under Kafka's broker config names, with Kafka 4.0's defaults. */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size: members per classic group, the bound on the member map. */
  groupMaxSize: number;
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number;
  /** offsets.retention.minutes, kept in milliseconds. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: longest commit metadata string. */
  offsetMetadataMaxBytes: number;
  /** How long a new member may wait in a join before it expires (Kafka: 5 minutes, not configurable). */
  newMemberJoinTimeoutMs: number;
  /** Gregor's bound on the number of groups one coordinator keeps. */
  groupsMax: number;
  /** Gregor's bound on committed partitions per group. */
  offsetsPerGroupMax: number;
  /** message.max.bytes: a group metadata record larger than this cannot be stored. */
  messageMaxBytes: number;
  /** group.consumer.session.timeout.ms (KIP-848 groups). */
  consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (KIP-848 groups). */
  consumerHeartbeatIntervalMs: number;
  /** group.consumer.max.size: members per consumer-protocol group. */
  consumerGroupMaxSize: number;
  /** The first of group.consumer.assignors: used when no member names one. */
  consumerDefaultAssignor: string;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2_147_483_647,
  offsetsTopicNumPartitions: 50,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
  groupsMax: 100_000,
  offsetsPerGroupMax: 1_000_000,
  messageMaxBytes: 1_048_588,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerDefaultAssignor: 'uniform',
};
