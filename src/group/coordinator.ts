import { randomUUID } from 'node:crypto';
import { AssertionError, assert } from '../core/assert.js';
import type { Logger } from '../core/log.js';
import {
  ClassicGroup,
  ClassicGroupMember,
  type CommittedOffset,
  GroupState,
  type JoinGroupMember,
  type JoinGroupResult,
  type JoinProtocol,
  type SyncGroupResult,
} from './classic-group.js';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.js';
import type { ConsumerGroup } from './consumer-group.js';
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResult,
  ConsumerProtocolCoordinator,
  type TopicsView,
} from './consumer-coordinator.js';
import { ErrorCode } from './errors.js';
import { partitionForGroup } from './hash.js';
import {
  type CoordinatorRecord,
  decodeCoordinatorRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  RecordFormatError,
} from './records.js';
import { ConsumerGroupReplay } from './consumer-replay.js';
import type { GroupTimer } from './timer.js';

export { GroupState } from './classic-group.js';
export type { JoinGroupResult, SyncGroupResult, JoinProtocol, JoinGroupMember } from './classic-group.js';

/**
 * The persistence seam: the coordinator hands records for one `__consumer_offsets` partition to
 * the log and waits until they are durable before it answers the client. A rejection carries a
 * Kafka error code (`code`) when the log knows one.
 */
export interface OffsetsLog {
  append(partition: number, records: CoordinatorRecord[]): Promise<void>;
}

export interface JoinGroupRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader may be told to skip assignment. */
  supportsSkipAssignment: boolean;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4 retention_time_ms; -1 keeps the broker's retention. */
  retentionTimeMs: number;
  apiVersion: number;
  topics: {
    name: string;
    partitions: {
      partitionIndex: number;
      committedOffset: number;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    }[];
  }[];
}

export interface PartitionError {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicPartitionErrors {
  name: string;
  partitions: PartitionError[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Uint8Array;
    memberAssignment: Uint8Array;
  }[];
}

export interface GroupCoordinatorOptions {
  log: OffsetsLog;
  timer: GroupTimer;
  /** Topic names, ids and partition counts, for the consumer protocol's server-side assignors. */
  topics?: TopicsView;
  config?: Partial<GroupCoordinatorConfig>;
  logger?: Logger;
}

type PartitionLoadState = 'loading' | 'active';

const emptyBytes = new Uint8Array(0);

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: emptyBytes };
}

/** Kafka's mapping from a failed metadata append to what the group member is told. */
function appendErrorToResponseError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case 19: // NOT_ENOUGH_REPLICAS
    case 7: // REQUEST_TIMED_OUT
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case 6: // NOT_LEADER_OR_FOLLOWER
    case 56: // KAFKA_STORAGE_ERROR
      return ErrorCode.NOT_COORDINATOR;
    case 10: // MESSAGE_TOO_LARGE
    case 18: // RECORD_LIST_TOO_LARGE
    case 4: // INVALID_FETCH_SIZE
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

function errorCodeOf(err: unknown): number {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number')
    return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * The classic group coordinator (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and the offset store,
 * following Apache Kafka 4.0's group coordinator: same state machine, same error per state.
 * State changes happen synchronously on the event loop; only writes to `__consumer_offsets` wait.
 */
export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly #log: OffsetsLog;
  readonly #timer: GroupTimer;
  readonly #logger: Logger | undefined;
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #partitions = new Map<number, PartitionLoadState>();
  /**
   * Whether a transaction holds uncommitted offsets for this group partition (TxnOffsetCommit
   * before its marker): OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT then.
   * The transaction coordinator sets it; without transactions nothing is ever pending.
   */
  hasPendingTransactionalOffset: (groupId: string, topic: string, partition: number) => boolean = () => false;
  /** KIP-848 groups; a group id names either a classic group or one of these. */
  readonly consumer: ConsumerProtocolCoordinator;
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupCoordinatorConfig, ...options.config };
    this.#log = options.log;
    this.#timer = options.timer;
    this.#logger = options.logger;
    this.consumer = new ConsumerProtocolCoordinator({
      timer: this.#timer,
      config: this.config,
      topics: options.topics ?? { byName: () => undefined, names: () => [] },
      classic: {
        get: (groupId) => this.#groups.get(groupId),
        remove: (group) => {
          this.#unloadGroup(group);
          this.#appendInBackground(group.groupId, [
            { key: encodeGroupMetadataKey(group.groupId), value: null },
          ]);
        },
        count: () => this.#groups.size,
      },
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    this.consumer.onTimerChange = (groupId) =>
      this.#appendInBackground(groupId, this.consumer.changes(groupId));
  }

  /** Writes records nobody waits for (timeouts, conversions); a failure is logged. */
  #appendInBackground(groupId: string, records: CoordinatorRecord[]): void {
    if (records.length === 0) return;
    this.#append(groupId, records).catch((err: unknown) => {
      this.#logger?.warn({ group: groupId, err: String(err) }, 'failed to store group records');
    });
  }

  /** The group holding `groupId`'s offsets, whichever protocol it uses. */
  #offsetsGroup(groupId: string): ClassicGroup | ConsumerGroup | undefined {
    return this.#groups.get(groupId) ?? this.consumer.groups.get(groupId);
  }

  #groupCount(): number {
    return this.#groups.size + this.consumer.groups.size;
  }

  // ---------------------------------------------------------------- consumer protocol (KIP-848)

  async consumerGroupHeartbeat(req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResult> {
    const err = req.groupId === '' ? ErrorCode.NONE : this.coordinatorError(req.groupId);
    if (err !== ErrorCode.NONE) {
      return {
        errorCode: err,
        errorMessage: null,
        memberId: null,
        memberEpoch: req.memberEpoch,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
    const result = this.consumer.heartbeat(req);
    const records = this.consumer.changes(req.groupId);
    if (records.length > 0) {
      try {
        await this.#append(req.groupId, records);
      } catch (e) {
        return { ...result, errorCode: appendErrorToResponseError(errorCodeOf(e)), assignment: null };
      }
    }
    return result;
  }

  /** ConsumerGroupDescribe: a classic group under that id answers GROUP_ID_NOT_FOUND, as in Kafka. */
  describeConsumerGroup(groupId: string): {
    errorCode: number;
    errorMessage: string | null;
    group: ConsumerGroup | null;
  } {
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, errorMessage: null, group: null };
    const group = this.consumer.groups.get(groupId);
    if (group === undefined) {
      return {
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: `Group ${groupId} not found.`,
        group: null,
      };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, group };
  }

  // ---------------------------------------------------------------- loading

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicNumPartitions);
  }

  /** Marks partitions as being loaded: their groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile. */
  beginLoading(partitions: Iterable<number>): void {
    for (const p of partitions) this.#partitions.set(p, 'loading');
  }

  /**
   * Replays one partition of `__consumer_offsets` (records in log order; the last record per key
   * wins, a null value deletes) and starts serving its groups.
   */
  loadPartition(partition: number, records: Iterable<CoordinatorRecord>): void {
    const offsets = new Map<
      string,
      { group: string; topic: string; partition: number; value: CommittedOffset | null }
    >();
    const groups = new Map<string, GroupMetadataValue | null>();
    const consumerReplay = new ConsumerGroupReplay();
    for (const record of records) {
      let decoded: ReturnType<typeof decodeCoordinatorRecord>;
      try {
        decoded = decodeCoordinatorRecord(record);
      } catch (err) {
        if (!(err instanceof RecordFormatError)) throw err;
        this.#logger?.warn({ partition, err: err.message }, 'skipping unreadable __consumer_offsets record');
        continue;
      }
      if (decoded.type === 'offset') {
        const k = decoded.key;
        offsets.set(`${k.group}\u0000${k.topic}\u0000${k.partition}`, { ...k, value: decoded.value });
      } else if (decoded.type === 'group') {
        groups.set(decoded.group, decoded.value);
      } else {
        try {
          consumerReplay.apply(decoded.keyVersion, record);
        } catch (err) {
          if (!(err instanceof RecordFormatError)) throw err;
          this.#logger?.warn(
            { partition, err: err.message },
            'skipping unreadable __consumer_offsets record',
          );
        }
      }
    }
    const now = this.#timer.now();
    for (const cg of consumerReplay.groups(now)) {
      // A consumer group written after a classic one with the same id replaces it.
      const existing = this.#groups.get(cg.groupId);
      if (existing !== undefined) this.#unloadGroup(existing);
      groups.delete(cg.groupId);
      this.consumer.restore(cg);
    }
    for (const [groupId, value] of groups) {
      const existing = this.#groups.get(groupId);
      if (existing !== undefined) this.#unloadGroup(existing);
      if (value === null) continue;
      try {
        this.#groups.set(groupId, this.#groupFromRecord(groupId, value, now));
      } catch (err) {
        // A record that contradicts itself (e.g. one instance id twice) is skipped, not fatal.
        if (!(err instanceof AssertionError)) throw err;
        this.#logger?.warn(
          { partition, group: groupId, err: err.message },
          'skipping inconsistent group metadata',
        );
      }
    }
    for (const o of offsets.values()) {
      if (o.value === null) {
        this.#offsetsGroup(o.group)?.deleteOffset(o.topic, o.partition);
        continue;
      }
      let group = this.#offsetsGroup(o.group);
      if (group === undefined) {
        // Offsets committed without group management form a "simple" group, as in Kafka.
        const simple = new ClassicGroup(o.group, now);
        this.#groups.set(o.group, simple);
        group = simple;
      }
      group.putOffset(o.topic, o.partition, o.value);
    }
    for (const group of this.#groups.values()) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      for (const member of group.members.values())
        this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
    this.#partitions.set(partition, 'active');
    this.#logger?.info(
      { partition, groups: groups.size, offsets: offsets.size },
      'loaded __consumer_offsets partition',
    );
  }

  #groupFromRecord(groupId: string, value: GroupMetadataValue, now: number): ClassicGroup {
    const group = new ClassicGroup(
      groupId,
      value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : now,
    );
    group.generationId = value.generation;
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    group.protocolName = value.protocol;
    for (const m of value.members) {
      const member = new ClassicGroupMember({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocol ?? '', metadata: m.subscription }],
      });
      member.assignment = m.assignment;
      group.add(member, null);
    }
    group.leaderId = value.leader;
    if (value.members.length > 0) {
      group.state = GroupState.Stable;
      group.previousState = GroupState.CompletingRebalance;
    }
    return group;
  }

  #unloadGroup(group: ClassicGroup): void {
    for (const member of group.members.values())
      this.#timer.cancel(heartbeatKey(group.groupId, member.memberId));
    for (const memberId of group.pendingJoinMembers)
      this.#timer.cancel(heartbeatKey(group.groupId, memberId));
    this.#timer.cancel(joinKey(group.groupId));
    this.#timer.cancel(syncKey(group.groupId));
    this.#groups.delete(group.groupId);
  }

  /** The error every group API answers with before looking at the group, or NONE. */
  coordinatorError(groupId: string): number {
    if (this.#closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const state = this.#partitions.get(this.partitionFor(groupId));
    if (state === undefined) return ErrorCode.NOT_COORDINATOR;
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  close(): void {
    this.#closed = true;
    this.#timer.close();
    for (const group of this.#groups.values()) {
      for (const member of group.members.values()) {
        group.completeJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
        group.completeSync(member, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    if (req.groupId === '') return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    const err = this.coordinatorError(req.groupId);
    if (err !== ErrorCode.NONE) return Promise.resolve(joinError(req.memberId, err));
    if (
      req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    return new Promise((resolve) => this.#join(req, resolve));
  }

  #join(req: JoinGroupRequest, respond: (r: JoinGroupResult) => void): void {
    const isUnknownMember = req.memberId === '';
    const consumerGroup = this.consumer.groups.get(req.groupId);
    if (consumerGroup !== undefined) {
      if (consumerGroup.members.size > 0) {
        respond(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        return;
      }
      // An empty consumer group becomes a classic one, keeping its offsets.
      const converted = new ClassicGroup(req.groupId, this.#timer.now());
      consumerGroup.moveOffsetsTo(converted);
      this.#appendInBackground(req.groupId, this.consumer.remove(consumerGroup));
      this.#groups.set(req.groupId, converted);
    }
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (!isUnknownMember) {
        respond(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      if (this.#groupCount() >= this.config.groupsMax) {
        respond(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        return;
      }
      group = new ClassicGroup(req.groupId, this.#timer.now());
      this.#groups.set(req.groupId, group);
    }
    if (!this.#acceptJoiningMember(group, req.memberId)) {
      group.remove(req.memberId);
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.#joinNewMember(req, group, respond);
    } else {
      this.#joinExistingMember(req, group, respond);
    }
  }

  #acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.config.groupMaxSize;
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return group.pendingJoinMembers.size < max || group.pendingJoinMembers.has(memberId);
      case GroupState.PreparingRebalance:
        return (group.members.get(memberId)?.isAwaitingJoin ?? false) || group.numMembersAwaitingJoin < max;
      default:
        return group.hasMember(memberId) || group.members.size < max;
    }
  }

  #joinNewMember(req: JoinGroupRequest, group: ClassicGroup, respond: (r: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) {
      respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const existing = group.staticMembers.get(req.groupInstanceId);
      if (existing !== undefined) {
        this.#updateStaticMemberThenRebalanceOrCompleteJoin(req, group, existing, newMemberId, respond);
      } else {
        this.#addMemberThenRebalanceOrCompleteJoin(req, group, newMemberId, respond);
      }
      return;
    }
    if (req.requireKnownMemberId) {
      group.pendingJoinMembers.add(newMemberId);
      this.#timer.schedule(heartbeatKey(group.groupId, newMemberId), req.sessionTimeoutMs, () =>
        this.#expireHeartbeat(group.groupId, newMemberId),
      );
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.#addMemberThenRebalanceOrCompleteJoin(req, group, newMemberId, respond);
  }

  #joinExistingMember(
    req: JoinGroupRequest,
    group: ClassicGroup,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const memberId = req.memberId;
    if (group.is(GroupState.Dead)) {
      respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.pendingJoinMembers.has(memberId)) {
      if (req.groupInstanceId !== null) {
        respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
        return;
      }
      this.#addMemberThenRebalanceOrCompleteJoin(req, group, memberId, respond);
      return;
    }
    const invalid = group.validateMember(memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) {
      respond(joinError(memberId, invalid));
      return;
    }

    const member = group.member(memberId);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        this.#updateMemberThenRebalanceOrCompleteJoin(req, group, member, respond);
        return;
      case GroupState.CompletingRebalance:
        if (member.matches(req.protocols)) {
          // The member lost our JoinGroup answer; repeat it for the current generation.
          respond(this.#joinResult(group, memberId, group.isLeader(memberId), false));
          return;
        }
        this.#updateMemberThenRebalanceOrCompleteJoin(req, group, member, respond);
        return;
      case GroupState.Stable:
        // A leader's rejoin is how clients ask for a rebalance on metadata changes (new partitions).
        if (group.isLeader(memberId) || !member.matches(req.protocols)) {
          this.#updateMemberThenRebalanceOrCompleteJoin(req, group, member, respond);
          return;
        }
        respond(this.#joinResult(group, memberId, false, false));
        return;
      default:
        respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  #joinResult(
    group: ClassicGroup,
    memberId: string,
    withMembers: boolean,
    skipAssignment: boolean,
  ): JoinGroupResult {
    const members: JoinGroupMember[] = withMembers ? group.currentMembersForLeader() : [];
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId,
      members,
    };
  }

  #updateMemberThenRebalanceOrCompleteJoin(
    req: JoinGroupRequest,
    group: ClassicGroup,
    member: ClassicGroupMember,
    respond: (r: JoinGroupResult) => void,
  ): void {
    // A member already waiting in this join phase is superseded by its newer request.
    if (member.awaitingJoin !== null)
      group.completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.#maybePrepareRebalanceOrCompleteJoin(group);
  }

  #addMemberThenRebalanceOrCompleteJoin(
    req: JoinGroupRequest,
    group: ClassicGroup,
    memberId: string,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    member.isNew = true;
    if (group.is(GroupState.PreparingRebalance) && group.previousState === GroupState.Empty)
      group.newMemberAdded = true;
    group.add(member, respond);
    this.#scheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.#maybePrepareRebalanceOrCompleteJoin(group);
  }

  #updateStaticMemberThenRebalanceOrCompleteJoin(
    req: JoinGroupRequest,
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const instanceId = req.groupInstanceId;
    assert(instanceId !== null, 'static rejoin without an instance id');
    const currentLeader = group.leaderId ?? '';
    this.#timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    const old = {
      protocols: member.protocols,
      rebalance: member.rebalanceTimeoutMs,
      session: member.sessionTimeoutMs,
    };
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);

    if (group.is(GroupState.Stable)) {
      if (group.protocolName === group.selectProtocol()) {
        // Same protocol: the static member takes its old place without a rebalance (KIP-345).
        let records: CoordinatorRecord[];
        try {
          records = [this.#groupMetadataRecord(group)];
        } catch (err) {
          if (!(err instanceof GroupRecordTooLarge)) throw err;
          records = [];
        }
        const stored =
          records.length > 0
            ? this.#append(group.groupId, records)
            : Promise.reject(new GroupRecordTooLarge(group.groupId, 0));
        stored.then(
          () => {
            if (req.supportsSkipAssignment) {
              const isLeader = group.isLeader(newMemberId);
              group.completeJoin(member, this.#joinResult(group, newMemberId, isLeader, isLeader));
            } else {
              group.completeJoin(member, {
                ...this.#joinResult(group, newMemberId, false, false),
                leader: currentLeader,
              });
            }
          },
          (err: unknown) => {
            const code = appendErrorToResponseError(errorCodeOf(err));
            group.updateMember(member, old.protocols, old.rebalance, old.session, null);
            if (group.staticMembers.get(instanceId) === newMemberId) {
              const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
              this.#timer.cancel(heartbeatKey(group.groupId, newMemberId));
              this.#scheduleHeartbeat(group, reverted, reverted.sessionTimeoutMs);
            }
            respond({ ...joinError('', code), generationId: group.generationId, leader: currentLeader });
          },
        );
        return;
      }
      this.#maybePrepareRebalanceOrCompleteJoin(group);
      return;
    }
    if (group.is(GroupState.CompletingRebalance)) {
      this.#prepareRebalance(group);
      return;
    }
    assert(group.is(GroupState.PreparingRebalance), `static member rejoined group in state ${group.state}`);
    this.#maybeCompleteJoinPhase(group);
  }

  #maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): void {
    if (group.canRebalance()) this.#prepareRebalance(group);
    else this.#maybeCompleteJoinPhase(group);
  }

  #maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is(GroupState.PreparingRebalance)) return;
    // During the initial delay the delayed join decides when to complete.
    if (group.previousState === GroupState.Empty) return;
    if (!group.hasAllMembersJoined()) return;
    this.#completeJoin(group);
  }

  #rebalanceTimeoutMs(group: ClassicGroup): number {
    let max = 0;
    for (const m of group.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  #prepareRebalance(group: ClassicGroup): void {
    if (group.is(GroupState.CompletingRebalance))
      this.#resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#removeSyncExpiration(group);
    const isInitialRebalance = group.is(GroupState.Empty);
    if (isInitialRebalance) {
      const delay = this.config.groupInitialRebalanceDelayMs;
      const remaining = Math.max(this.#rebalanceTimeoutMs(group) - delay, 0);
      this.#timer.schedule(joinKey(group.groupId), delay, () =>
        this.#tryCompleteInitialRebalanceElseSchedule(group.groupId, delay, remaining),
      );
    }
    group.transitionTo(GroupState.PreparingRebalance, this.#timer.now());
    if (!isInitialRebalance) this.#maybeCompleteJoinElseSchedule(group);
  }

  #maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) {
      this.#completeJoin(group);
      return;
    }
    this.#timer.schedule(joinKey(group.groupId), this.#rebalanceTimeoutMs(group), () =>
      this.#completeJoinById(group.groupId),
    );
  }

  #tryCompleteInitialRebalanceElseSchedule(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.#groups.get(groupId);
    if (group === undefined) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      // Members are still arriving: wait another delay, bounded by the rebalance timeout.
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.#timer.schedule(joinKey(groupId), nextDelay, () =>
        this.#tryCompleteInitialRebalanceElseSchedule(groupId, nextDelay, nextRemaining),
      );
      return;
    }
    this.#completeJoin(group);
  }

  #completeJoinById(groupId: string): void {
    const group = this.#groups.get(groupId);
    if (group !== undefined) this.#completeJoin(group);
  }

  #completeJoin(group: ClassicGroup): void {
    this.#timer.cancel(joinKey(group.groupId));
    for (const member of [...group.members.values()]) {
      if (member.isAwaitingJoin || member.groupInstanceId !== null) continue;
      group.remove(member.memberId);
      this.#timer.cancel(heartbeatKey(group.groupId, member.memberId));
    }
    if (group.is(GroupState.Dead)) return;
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that did not rejoin are left: wait for them another rebalance timeout.
      this.#timer.schedule(joinKey(group.groupId), this.#rebalanceTimeoutMs(group), () =>
        this.#completeJoinById(group.groupId),
      );
      return;
    }
    group.initNextGeneration(this.#timer.now());
    if (group.is(GroupState.Empty)) {
      this.#append(group.groupId, [this.#groupMetadataRecord(group)]).catch((err: unknown) => {
        this.#logger?.warn(
          { group: group.groupId, err: String(err) },
          'failed to store empty group metadata',
        );
      });
      return;
    }
    for (const member of [...group.members.values()]) {
      group.completeJoin(
        member,
        this.#joinResult(group, member.memberId, group.isLeader(member.memberId), false),
      );
      this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    this.#timer.schedule(syncKey(group.groupId), this.#rebalanceTimeoutMs(group), () =>
      this.#expirePendingSync(group.groupId, generation),
    );
  }

  #expirePendingSync(groupId: string, generationId: number): void {
    const group = this.#groups.get(groupId);
    if (group === undefined || group.generationId !== generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      group.remove(memberId);
      this.#timer.cancel(heartbeatKey(groupId, memberId));
    }
    this.#prepareRebalance(group);
  }

  #removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    this.#timer.cancel(syncKey(group.groupId));
  }

  #removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.#timer.cancel(syncKey(group.groupId));
  }

  #resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    assert(group.is(GroupState.CompletingRebalance), 'assignment reset outside CompletingRebalance');
    for (const m of group.members.values()) m.assignment = emptyBytes;
    this.#propagateAssignment(group, errorCode);
  }

  #propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const member of group.members.values()) {
      const delivered = group.completeSync(member, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      });
      if (delivered) this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
  }

  #scheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs: number): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.#timer.schedule(heartbeatKey(groupId, memberId), timeoutMs, () =>
      this.#expireHeartbeat(groupId, memberId),
    );
  }

  #expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.#groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead)) return;
    if (group.pendingJoinMembers.has(memberId)) {
      group.remove(memberId);
      if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) this.#completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (member === undefined || member.hasSatisfiedHeartbeat()) return;
    this.#logger?.info({ group: groupId, member: memberId }, 'member session expired');
    this.#removeMemberAndUpdateGroup(group, member);
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): void {
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) {
      this.#maybePrepareRebalanceOrCompleteJoin(group);
    } else if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) {
      this.#completeJoin(group);
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const err = this.coordinatorError(req.groupId);
    if (err !== ErrorCode.NONE) return Promise.resolve(syncError(err));
    const group = this.#groups.get(req.groupId);
    if (group === undefined || group.is(GroupState.Empty))
      return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is(GroupState.Dead)) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(syncError(invalid));
    if (req.generationId !== group.generationId)
      return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (req.protocolType !== null && req.protocolType !== group.protocolType) ||
      (req.protocolName !== null && req.protocolName !== group.protocolName)
    ) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.is(GroupState.PreparingRebalance))
      return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const member = group.member(req.memberId);
    if (group.is(GroupState.Stable)) {
      this.#removePendingSyncMember(group, req.memberId);
      return Promise.resolve({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
    }
    assert(group.is(GroupState.CompletingRebalance), `sync in state ${group.state}`);
    return new Promise((resolve) => {
      // A repeated SyncGroup from the same member replaces the earlier one, which is told to retry.
      group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
      this.#removePendingSyncMember(group, req.memberId);
      if (group.isLeader(req.memberId)) this.#storeLeaderAssignment(group, req);
    });
  }

  #storeLeaderAssignment(group: ClassicGroup, req: SyncGroupRequest): void {
    const assignment = new Map<string, Uint8Array>();
    for (const a of req.assignments)
      if (group.hasMember(a.memberId)) assignment.set(a.memberId, a.assignment);
    const generation = group.generationId;
    let record: CoordinatorRecord;
    try {
      record = this.#groupMetadataRecord(group, assignment);
    } catch (err) {
      if (!(err instanceof GroupRecordTooLarge)) throw err;
      this.#resetAndPropagateAssignmentWithError(group, ErrorCode.UNKNOWN_SERVER_ERROR);
      this.#maybePrepareRebalanceOrCompleteJoin(group);
      return;
    }
    this.#append(group.groupId, [record]).then(
      () => {
        if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
        for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? emptyBytes;
        this.#propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo(GroupState.Stable, this.#timer.now());
      },
      (err: unknown) => {
        if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
        this.#resetAndPropagateAssignmentWithError(group, appendErrorToResponseError(errorCodeOf(err)));
        this.#maybePrepareRebalanceOrCompleteJoin(group);
      },
    );
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  heartbeat(req: HeartbeatRequest): number {
    const err = this.coordinatorError(req.groupId);
    if (err !== ErrorCode.NONE) return err;
    const group = this.#groups.get(req.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.member(req.memberId);
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.PreparingRebalance:
        this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return ErrorCode.NONE;
    }
  }

  leaveGroup(
    groupId: string,
    members: { memberId: string; groupInstanceId: string | null }[],
  ): LeaveGroupResult {
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, members: [] };
    const group = this.#groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const responses: LeaveGroupResult['members'] = [];
    let anyLeft = false;
    for (const m of members) {
      let errorCode: number = ErrorCode.NONE;
      if (m.memberId === '') {
        const staticId = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId);
        if (staticId === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.#removeCurrentMember(group, staticId);
      } else if (group.pendingJoinMembers.has(m.memberId)) {
        group.remove(m.memberId);
        this.#timer.cancel(heartbeatKey(groupId, m.memberId));
      } else {
        errorCode = group.validateMember(m.memberId, m.groupInstanceId);
        if (errorCode === ErrorCode.NONE) this.#removeCurrentMember(group, m.memberId);
      }
      if (errorCode === ErrorCode.NONE) anyLeft = true;
      responses.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    }
    if (anyLeft) {
      if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance))
        this.#maybePrepareRebalanceOrCompleteJoin(group);
      else if (group.is(GroupState.PreparingRebalance)) this.#maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: responses };
  }

  #removeCurrentMember(group: ClassicGroup, memberId: string): void {
    const member = group.member(memberId);
    this.#timer.cancel(heartbeatKey(group.groupId, memberId));
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(req: OffsetCommitRequest): Promise<TopicPartitionErrors[]> {
    const all = (code: number): TopicPartitionErrors[] =>
      req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
      }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const err = this.coordinatorError(req.groupId);
    if (err !== ErrorCode.NONE) return all(err);

    let group: ClassicGroup | ConsumerGroup | undefined = this.#offsetsGroup(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) {
        return all(req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      if (this.#groupCount() >= this.config.groupsMax) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const created = new ClassicGroup(req.groupId, this.#timer.now());
      this.#groups.set(req.groupId, created);
      group = created;
    }
    if (group instanceof ClassicGroup) {
      const invalid = this.#validateOffsetCommit(group, req);
      if (invalid !== ErrorCode.NONE) return all(invalid);
      if (
        (group.is(GroupState.Stable) || group.is(GroupState.PreparingRebalance)) &&
        group.hasMember(req.memberId)
      ) {
        const member = group.member(req.memberId);
        this.#scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      }
    } else {
      const invalid = validateConsumerGroupOffsetCommit(group, req);
      if (invalid !== ErrorCode.NONE) return all(invalid);
    }

    const now = this.#timer.now();
    const expireTimestamp = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1;
    const records: CoordinatorRecord[] = [];
    const accepted: { topic: string; partition: number; value: CommittedOffset }[] = [];
    const result: TopicPartitionErrors[] = [];
    let newPartitions = 0;
    for (const t of req.topics) {
      const partitions: PartitionError[] = [];
      result.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) {
          partitions.push({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE,
          });
          continue;
        }
        if (group.offset(t.name, p.partitionIndex) === undefined) newPartitions++;
        if (group.numOffsets + newPartitions > this.config.offsetsPerGroupMax) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
          continue;
        }
        const value: CommittedOffset = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp,
        };
        records.push({
          key: encodeOffsetCommitKey({ group: req.groupId, topic: t.name, partition: p.partitionIndex }),
          value: encodeOffsetCommitValue(value),
        });
        accepted.push({ topic: t.name, partition: p.partitionIndex, value });
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE });
      }
    }
    if (records.length === 0) return result;
    try {
      await this.#append(req.groupId, records);
    } catch (e) {
      const code = appendErrorToResponseError(errorCodeOf(e));
      for (const t of result)
        for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      return result;
    }
    const current = this.#offsetsGroup(req.groupId);
    if (current !== undefined) for (const a of accepted) current.putOffset(a.topic, a.partition, a.value);
    return result;
  }

  /**
   * Kafka's checks of a TxnOffsetCommit against the group (OffsetMetadataManager
   * validateTransactionalOffsetCommit): an error code, NONE when the commit may go on. Versions
   * before 3 carry no member: generation -1 and an empty member id pass. Unlike OffsetCommit, a
   * rebalance in progress does not refuse it, and a stale member epoch of a consumer-protocol group
   * answers ILLEGAL_GENERATION.
   */
  validateTransactionalOffsetCommit(req: {
    groupId: string;
    memberId: string;
    groupInstanceId: string | null;
    generationId: number;
  }): number {
    const { memberId, groupInstanceId, generationId } = req;
    const group = this.#offsetsGroup(req.groupId);
    if (group === undefined) return generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (group instanceof ClassicGroup) {
      if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      if (generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE;
      if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
        const invalid = group.validateMember(memberId, groupInstanceId);
        if (invalid !== ErrorCode.NONE) return invalid;
        if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      }
      return ErrorCode.NONE;
    }
    if (generationId < 0 && group.members.size === 0) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return generationId === member.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }

  #validateOffsetCommit(group: ClassicGroup, req: OffsetCommitRequest): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // generation -1 with no member: the admin client or a consumer without group management.
    if (req.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const invalid = group.validateMember(req.memberId, req.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is(GroupState.Empty)) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** topics null = every committed offset of the group. */
  fetchOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
    member?: { memberId: string | null; memberEpoch: number },
    requireStable = false,
  ): OffsetFetchResult {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
    const group = this.#offsetsGroup(groupId);
    if (group instanceof ClassicGroup && group.is(GroupState.Dead)) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    }
    if (group !== undefined && !(group instanceof ClassicGroup) && member !== undefined) {
      const invalid = validateConsumerGroupOffsetFetch(group, member.memberId, member.memberEpoch);
      if (invalid !== ErrorCode.NONE) return { errorCode: invalid, topics: [] };
    }
    const fetched = (partitionIndex: number, o: CommittedOffset | undefined, topic: string): FetchedOffset =>
      requireStable && this.hasPendingTransactionalOffset(groupId, topic, partitionIndex)
        ? {
            partitionIndex,
            committedOffset: -1,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
          }
        : o === undefined
          ? {
              partitionIndex,
              committedOffset: -1,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: ErrorCode.NONE,
            }
          : {
              partitionIndex,
              committedOffset: o.offset,
              committedLeaderEpoch: o.leaderEpoch,
              metadata: o.metadata,
              errorCode: ErrorCode.NONE,
            };
    if (topics === null) {
      const out: OffsetFetchResult['topics'] = [];
      if (group !== undefined) {
        for (const [name, byPartition] of group.offsets) {
          out.push({ name, partitions: [...byPartition].map(([p, o]) => fetched(p, o, name)) });
        }
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => fetched(p, group?.offset(t.name, p), t.name)),
      })),
    };
  }

  async deleteOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[],
  ): Promise<{ errorCode: number; topics: TopicPartitionErrors[] }> {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
    const group = this.#offsetsGroup(groupId);
    if (group === undefined || (group instanceof ClassicGroup && group.is(GroupState.Dead))) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    }
    if (group instanceof ClassicGroup && !group.is(GroupState.Empty) && group.protocolType !== 'consumer') {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const records: CoordinatorRecord[] = [];
    const tombstoned: { topic: string; partition: number }[] = [];
    const out: TopicPartitionErrors[] = [];
    for (const t of topics) {
      const subscribed =
        group instanceof ClassicGroup
          ? group.isSubscribedToTopic(t.name)
          : this.consumer.isSubscribedToTopic(group, t.name);
      out.push({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (group.offset(t.name, p) !== undefined) {
            records.push({
              key: encodeOffsetCommitKey({ group: groupId, topic: t.name, partition: p }),
              value: null,
            });
            tombstoned.push({ topic: t.name, partition: p });
          }
          return { partitionIndex: p, errorCode: ErrorCode.NONE };
        }),
      });
    }
    if (records.length > 0) {
      try {
        await this.#append(groupId, records);
      } catch (e) {
        return { errorCode: appendErrorToResponseError(errorCodeOf(e)), topics: [] };
      }
      for (const d of tombstoned) group.deleteOffset(d.topic, d.partition);
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  // ---------------------------------------------------------------- admin

  /** statesFilter/typesFilter: empty = all; states compare case-insensitively, as Kafka does. */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase().trim()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const group of this.#groups.values()) {
      if (this.#partitions.get(this.partitionFor(group.groupId)) !== 'active') continue;
      if (group.is(GroupState.Dead)) continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      out.push({
        groupId: group.groupId,
        protocolType: group.protocolType ?? '',
        groupState: group.state,
        groupType: 'classic',
      });
    }
    for (const group of this.consumer.groups.values()) {
      if (this.#partitions.get(this.partitionFor(group.groupId)) !== 'active') continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('consumer')) continue;
      out.push({
        groupId: group.groupId,
        protocolType: 'consumer',
        groupState: group.state,
        groupType: 'consumer',
      });
    }
    return out;
  }

  /** Whether any partition is still loading: ListGroups answers COORDINATOR_LOAD_IN_PROGRESS then. */
  isLoading(): boolean {
    for (const s of this.#partitions.values()) if (s === 'loading') return true;
    return false;
  }

  /**
   * DescribeGroups looks at classic groups only: an absent id and a consumer-protocol (KIP-848)
   * group both answer Dead with no error, as Kafka 4.0 does up to DescribeGroups v5 (v6 adds
   * GROUP_ID_NOT_FOUND with "Group X is not a classic group."); ConsumerGroupDescribe describes those.
   */
  describeGroup(groupId: string): DescribedGroup {
    const described: DescribedGroup = {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: GroupState.Dead,
      protocolType: '',
      protocolData: '',
      members: [],
    };
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return { ...described, errorCode: err, groupState: '' };
    const group = this.#groups.get(groupId);
    if (group === undefined) return described;
    const stable = group.is(GroupState.Stable);
    described.groupState = group.state;
    described.protocolType = group.protocolType ?? '';
    described.protocolData = stable ? (group.protocolName ?? '') : '';
    for (const m of group.members.values()) {
      described.members.push({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName) : emptyBytes,
        memberAssignment: stable ? m.assignment : emptyBytes,
      });
    }
    return described;
  }

  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const err = this.coordinatorError(groupId);
    if (err !== ErrorCode.NONE) return err;
    const group = this.#offsetsGroup(groupId);
    if (group === undefined || (group instanceof ClassicGroup && group.is(GroupState.Dead))) {
      return ErrorCode.GROUP_ID_NOT_FOUND;
    }
    if (group instanceof ClassicGroup ? !group.is(GroupState.Empty) : group.members.size > 0) {
      return ErrorCode.NON_EMPTY_GROUP;
    }
    const records: CoordinatorRecord[] = [];
    for (const [topic, byPartition] of group.offsets) {
      for (const partition of byPartition.keys()) {
        records.push({ key: encodeOffsetCommitKey({ group: groupId, topic, partition }), value: null });
      }
    }
    records.push({ key: encodeGroupMetadataKey(groupId), value: null });
    if (!(group instanceof ClassicGroup)) records.push(...this.consumer.remove(group));
    try {
      await this.#append(groupId, records);
    } catch (e) {
      return appendErrorToResponseError(errorCodeOf(e));
    }
    if (group instanceof ClassicGroup && this.#groups.get(groupId) === group && group.is(GroupState.Empty)) {
      group.transitionTo(GroupState.Dead, this.#timer.now());
      this.#unloadGroup(group);
    }
    return ErrorCode.NONE;
  }

  /** A read-only view for tests and the admin surface. */
  group(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  /**
   * Offsets a transaction committed (TxnOffsetCommit) become visible when its commit marker is
   * written; the transaction coordinator calls this then. A group not known yet is created as a
   * simple group, as a plain commit would.
   */
  applyTransactionalOffsets(
    groupId: string,
    offsets: ReadonlyArray<{ topic: string; partition: number; value: CommittedOffset }>,
  ): void {
    let group = this.#offsetsGroup(groupId);
    if (group === undefined) {
      const created = new ClassicGroup(groupId, this.#timer.now());
      this.#groups.set(groupId, created);
      group = created;
    }
    for (const o of offsets) group.putOffset(o.topic, o.partition, o.value);
  }

  get groupCount(): number {
    return this.#groups.size;
  }

  /**
   * Drops every group's committed offsets of deleted topics, as Kafka does when a topic is
   * deleted (the controller calls this after DeleteTopics), with tombstones so it lasts.
   */
  async onTopicsDeleted(topics: readonly string[]): Promise<void> {
    const deleted = new Set(topics);
    const all: (ClassicGroup | ConsumerGroup)[] = [
      ...this.#groups.values(),
      ...this.consumer.groups.values(),
    ];
    await Promise.all(
      all.map(async (group) => {
        const gone: { topic: string; partition: number }[] = [];
        for (const [topic, byPartition] of group.offsets) {
          if (!deleted.has(topic)) continue;
          for (const partition of byPartition.keys()) gone.push({ topic, partition });
        }
        if (gone.length === 0) return;
        const records = gone.map((g) => ({
          key: encodeOffsetCommitKey({ group: group.groupId, topic: g.topic, partition: g.partition }),
          value: null,
        }));
        try {
          await this.#append(group.groupId, records);
        } catch (err) {
          this.#logger?.warn(
            { group: group.groupId, err: String(err) },
            'failed to drop offsets of deleted topics',
          );
          return;
        }
        for (const g of gone) group.deleteOffset(g.topic, g.partition);
      }),
    );
  }

  // ---------------------------------------------------------------- retention

  /**
   * Expires offsets past offsets.retention.minutes (Kafka 4.0's rule: in an empty group, counted
   * from when it became empty; in a group without protocol, from each commit) and drops empty
   * groups left with no offsets. Writes tombstones so the expiry survives a restart.
   */
  async expireOffsets(): Promise<number> {
    const now = this.#timer.now();
    const retention = this.config.offsetsRetentionMs;
    let expired = 0;
    const all: (ClassicGroup | ConsumerGroup)[] = [
      ...this.#groups.values(),
      ...this.consumer.groups.values(),
    ];
    for (const group of all) {
      if (this.coordinatorError(group.groupId) !== ErrorCode.NONE) continue;
      const classic = group instanceof ClassicGroup;
      if (classic ? !group.is(GroupState.Empty) : group.members.size > 0) continue;
      const withoutProtocol = classic && group.protocolType === null;
      const records: CoordinatorRecord[] = [];
      const gone: { topic: string; partition: number }[] = [];
      for (const [topic, byPartition] of group.offsets) {
        for (const [partition, o] of byPartition) {
          const base = withoutProtocol
            ? o.commitTimestamp
            : Math.max(group.stateTimestamp, o.commitTimestamp);
          const deadline = o.expireTimestamp >= 0 ? o.expireTimestamp : base + retention;
          if (now < deadline) continue;
          records.push({
            key: encodeOffsetCommitKey({ group: group.groupId, topic, partition }),
            value: null,
          });
          gone.push({ topic, partition });
        }
      }
      const dropGroup = group.numOffsets === gone.length && (!classic || group.pendingJoinMembers.size === 0);
      if (dropGroup) records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
      if (records.length === 0) continue;
      try {
        await this.#append(group.groupId, records);
      } catch (err) {
        this.#logger?.warn({ group: group.groupId, err: String(err) }, 'offset expiration failed');
        continue;
      }
      for (const g of gone) group.deleteOffset(g.topic, g.partition);
      expired += gone.length;
      if (!dropGroup || group.numOffsets !== 0 || this.#offsetsGroup(group.groupId) !== group) continue;
      if (group instanceof ClassicGroup) {
        if (group.is(GroupState.Empty)) {
          group.transitionTo(GroupState.Dead, now);
          this.#unloadGroup(group);
        }
      } else if (group.members.size === 0) {
        this.#appendInBackground(group.groupId, this.consumer.remove(group));
      }
    }
    return expired;
  }

  // ---------------------------------------------------------------- records

  #groupMetadataRecord(group: ClassicGroup, assignment?: ReadonlyMap<string, Uint8Array>): CoordinatorRecord {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: assignment === undefined ? m.assignment : (assignment.get(m.memberId) ?? emptyBytes),
      })),
    };
    const bytes = encodeGroupMetadataValue(value);
    if (bytes.length > this.config.messageMaxBytes)
      throw new GroupRecordTooLarge(group.groupId, bytes.length);
    return { key: encodeGroupMetadataKey(group.groupId), value: bytes };
  }

  #append(groupId: string, records: CoordinatorRecord[]): Promise<void> {
    return this.#log.append(this.partitionFor(groupId), records);
  }
}

class GroupRecordTooLarge extends Error {
  override name = 'GroupRecordTooLarge';
  readonly code = 10; // MESSAGE_TOO_LARGE
  constructor(groupId: string, size: number) {
    super(`group metadata of ${groupId} is ${size} bytes`);
  }
}

function heartbeatKey(groupId: string, memberId: string): string {
  return `hb\u0000${groupId}\u0000${memberId}`;
}

function joinKey(groupId: string): string {
  return `join\u0000${groupId}`;
}

function syncKey(groupId: string): string {
  return `sync\u0000${groupId}`;
}

/**
 * Kafka's ConsumerGroup.validateOffsetFetch: only a request without member id and with a negative
 * epoch (the admin client, or a client that does not say) skips the check; any other names a
 * member, which must exist and be at that epoch.
 */
function validateConsumerGroupOffsetFetch(
  group: ConsumerGroup,
  memberId: string | null,
  epoch: number,
): number {
  if (memberId === null && epoch < 0) return ErrorCode.NONE;
  const member = memberId === null ? undefined : group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (epoch !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
  return ErrorCode.NONE;
}

/** Kafka's ConsumerGroup.validateOffsetCommit: the member and its current epoch. */
function validateConsumerGroupOffsetCommit(group: ConsumerGroup, req: OffsetCommitRequest): number {
  if (req.generationId < 0 && group.members.size === 0) return ErrorCode.NONE;
  const member = group.members.get(req.memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
  if (req.generationId !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
  return ErrorCode.NONE;
}
