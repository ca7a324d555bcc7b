/**
 * Which error codes of a response the broker counts for kafka_network_requestmetrics_errors_total,
 * the equivalent of Kafka's per-response `errorCounts()` (RequestMetrics ErrorsPerSec).
 *
 * The generic rule: every int16 field named `ErrorCode` (or `PartitionErrorCode`, which only
 * AddPartitionsToTxn uses) at any depth, NONE included, in the versions the field is on the wire
 * at. That is what nearly every one of Kafka's overrides does; the version rule also reproduces
 * the overrides that pick a top-level or a per-entry code by version (FindCoordinator v4+,
 * OffsetFetch v8+, AddPartitionsToTxn v3 and below). Codes with other names (CreateTopics'
 * TopicConfigErrorCode, ShareFetch's AcknowledgeErrorCode) are not counted, as in Kafka.
 *
 * Where Kafka's override departs from the generic rule, the table below says how; the generator
 * fails if an entry names a field the definition does not have, so a stale entry cannot linger.
 */

/** Field names counted as error codes. */
export const ERROR_CODE_FIELDS: ReadonlySet<string> = new Set(['ErrorCode', 'PartitionErrorCode']);

export interface ErrorCountRule {
  /** Error-code fields (dotted paths of field names from the root) Kafka does not count. */
  readonly skip?: readonly string[];
  /** Error-code fields Kafka counts only when they are not NONE. */
  readonly skipNone?: readonly string[];
  /**
   * Error-code fields Kafka counts in other versions than the field is on the wire at: it reads
   * its response object, where a field a version lacks holds its default (NONE).
   */
  readonly versions?: Readonly<Record<string, string>>;
}

export const ERROR_COUNT_RULES: Readonly<Record<string, ErrorCountRule>> = {
  // Kafka counts the filter results, not the matching ACLs inside them.
  DeleteAclsResponse: { skip: ['FilterResults.MatchingAcls.ErrorCode'] },
  // Kafka counts the per-user results only.
  DescribeUserScramCredentialsResponse: { skip: ['ErrorCode'] },
  // Kafka counts the top-level code only.
  AssignReplicasToDirsResponse: { skip: ['Directories.Topics.Partitions.ErrorCode'] },
  // KRaft's voter and broker-registration answers: Kafka leaves a top-level NONE out.
  AddRaftVoterResponse: { skipNone: ['ErrorCode'] },
  RemoveRaftVoterResponse: { skipNone: ['ErrorCode'] },
  UpdateRaftVoterResponse: { skipNone: ['ErrorCode'] },
  UnregisterBrokerResponse: { skipNone: ['ErrorCode'] },
  FetchSnapshotResponse: { skipNone: ['ErrorCode'] },
  // A top-level code that older versions lack on the wire; Kafka counts its NONE all the same.
  FetchResponse: { versions: { ErrorCode: '0+' } },
  OffsetFetchResponse: { versions: { ErrorCode: '0-7' } },
  DescribeLogDirsResponse: { versions: { ErrorCode: '0+' } },
  ElectLeadersResponse: { versions: { ErrorCode: '0+' } },
};
