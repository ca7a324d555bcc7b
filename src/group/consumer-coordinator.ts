import type { Logger } from '../core/log.js';
import { type Partitions, serverAssignors } from './assignors.js';
import type { ClassicGroup } from './classic-group.js';
import type { GroupCoordinatorConfig } from './config.js';
import {
  ConsumerGroup,
  ConsumerGroupMember,
  intersect,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  samePartitions,
  subscriptionFingerprint,
  subtract,
  toPartitions,
} from './consumer-group.js';
import {
  currentAssignmentRecord,
  groupEpochRecord,
  memberMetadataRecord,
  partitionMetadataRecord,
  type SubscribedTopicMetadata,
  targetEpochRecord,
  targetMemberRecord,
} from './consumer-records.js';
import { ErrorCode } from './errors.js';
import type { CoordinatorRecord } from './records.js';
import type { GroupTimer } from './timer.js';

/** The topics the coordinator can see: names, ids and partition counts. */
export interface TopicsView {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  names(): Iterable<string>;
}

export interface ConsumerGroupHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: { topicId: string; partitions: number[] }[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Partitions | null;
}

/** What the consumer protocol needs from the classic side: a group id is one group or the other. */
export interface ClassicGroupsAccess {
  /** The classic group with this id, if any. */
  get(groupId: string): ClassicGroup | undefined;
  /** Removes an empty classic group so a consumer group can take its id (and offsets). */
  remove(group: ClassicGroup): void;
  count(): number;
}

/** Bound on a subscription regex, so a client cannot make the broker compile huge patterns. */
const subscriptionRegexMaxLength = 1024;

/**
 * The consumer group protocol (KIP-848): members heartbeat with their subscription and owned
 * partitions; the broker computes a target assignment with a server-side assignor and moves each
 * member to it, revoking before assigning, fenced by member epochs.
 */
export class ConsumerProtocolCoordinator {
  readonly groups = new Map<string, ConsumerGroup>();
  readonly #timer: GroupTimer;
  readonly #config: GroupCoordinatorConfig;
  readonly #topics: TopicsView;
  readonly #classic: ClassicGroupsAccess;
  readonly #logger: Logger | undefined;
  /** What `__consumer_offsets` holds for each group: record key (hex) → value (hex). */
  readonly #persisted = new Map<string, Map<string, string>>();
  /** Members whose records may have changed since the last `changes()`, per group. */
  readonly #dirtyMembers = new Map<string, Set<string>>();
  /** Groups whose every member's records may have changed (a new target assignment). */
  readonly #dirtyAll = new Set<string>();
  /** Groups whose subscribed topic metadata changed since the last `changes()`. */
  readonly #dirtyMetadata = new Set<string>();
  /** Called when a timer (session or rebalance timeout) changed a group, so its records get written. */
  onTimerChange: (groupId: string) => void = () => {};

  constructor(opts: {
    timer: GroupTimer;
    config: GroupCoordinatorConfig;
    topics: TopicsView;
    classic: ClassicGroupsAccess;
    logger?: Logger;
  }) {
    this.#timer = opts.timer;
    this.#config = opts.config;
    this.#topics = opts.topics;
    this.#classic = opts.classic;
    this.#logger = opts.logger;
  }

  /** The records of one member's state (metadata, target, current assignment); tombstones when gone. */
  #memberRecords(group: ConsumerGroup, memberId: string): CoordinatorRecord[] {
    const m = group.dead ? undefined : group.members.get(memberId);
    return [
      memberMetadataRecord(group.groupId, memberId, m ?? null),
      targetMemberRecord(
        group.groupId,
        memberId,
        m === undefined ? null : (group.target.get(memberId) ?? new Map()),
      ),
      currentAssignmentRecord(group.groupId, memberId, m ?? null),
    ];
  }

  #markDirty(groupId: string, memberId: string): void {
    let set = this.#dirtyMembers.get(groupId);
    if (set === undefined) {
      set = new Set();
      this.#dirtyMembers.set(groupId, set);
    }
    set.add(memberId);
  }

  /**
   * The records to write so `__consumer_offsets` matches the group's state: the group's epochs and
   * the members touched since the last call (every member after a new target assignment), each
   * only if it changed, and tombstones for members that left. Marks them as written.
   */
  changes(groupId: string): CoordinatorRecord[] {
    const group = this.groups.get(groupId) ?? new ConsumerGroup(groupId, 0);
    if (!this.groups.has(groupId)) group.dead = true;
    const persisted = this.#persisted.get(groupId) ?? new Map<string, string>();
    const members = new Set(this.#dirtyMembers.get(groupId) ?? []);
    this.#dirtyMembers.delete(groupId);
    if (this.#dirtyAll.delete(groupId)) for (const id of group.members.keys()) members.add(id);
    const candidates: CoordinatorRecord[] = [
      groupEpochRecord(groupId, group.dead ? null : group.groupEpoch),
      targetEpochRecord(groupId, group.dead ? null : group.assignmentEpoch),
    ];
    // Written when it changed, as Kafka does; a group that never saw a subscribed topic has none.
    if (this.#dirtyMetadata.delete(groupId) && !group.dead) {
      const record = partitionMetadataRecord(groupId, group.subscribedTopics);
      if (group.subscribedTopics.length > 0 || persisted.has(Buffer.from(record.key).toString('hex')))
        candidates.push(record);
    }
    if (group.dead) {
      // Everything ever written for the group gets a tombstone.
      for (const k of persisted.keys()) candidates.push({ key: Buffer.from(k, 'hex'), value: null });
    } else {
      for (const id of members) candidates.push(...this.#memberRecords(group, id));
    }
    const out: CoordinatorRecord[] = [];
    const seen = new Set<string>();
    for (const r of candidates) {
      const k = Buffer.from(r.key).toString('hex');
      if (seen.has(k)) continue;
      seen.add(k);
      const v = r.value === null ? null : Buffer.from(r.value).toString('hex');
      if (v === null) {
        if (!persisted.has(k)) continue;
        persisted.delete(k);
      } else {
        if (persisted.get(k) === v) continue;
        persisted.set(k, v);
      }
      out.push(r);
    }
    if (persisted.size === 0) this.#persisted.delete(groupId);
    else this.#persisted.set(groupId, persisted);
    return out;
  }

  heartbeat(req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResult {
    const fail = (errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResult => ({
      errorCode,
      errorMessage,
      memberId: req.memberId === '' ? null : req.memberId,
      memberEpoch: req.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    const invalid = this.#validate(req);
    if (invalid !== null) return fail(ErrorCode.INVALID_REQUEST, invalid);
    if (req.serverAssignor !== null && !serverAssignors.has(req.serverAssignor)) {
      return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `Assignor ${req.serverAssignor} is not supported.`);
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') {
      if (req.subscribedTopicRegex.length > subscriptionRegexMaxLength) {
        return fail(ErrorCode.INVALID_REGULAR_EXPRESSION, 'The regular expression is too long.');
      }
      try {
        new RegExp(`^(?:${req.subscribedTopicRegex})$`);
      } catch {
        return fail(
          ErrorCode.INVALID_REGULAR_EXPRESSION,
          `Invalid regular expression ${req.subscribedTopicRegex}.`,
        );
      }
    }

    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      const classic = this.#classic.get(req.groupId);
      if (classic !== undefined && (classic.members.size > 0 || classic.pendingJoinMembers.size > 0)) {
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
      }
      if (req.memberEpoch !== 0) {
        // The group is gone (deleted, or not rebuilt after a restart): the member rejoins with epoch 0.
        return fail(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${req.memberId} is not a member of group ${req.groupId}.`,
        );
      }
      if (this.groups.size + this.#classic.count() >= this.#config.groupsMax)
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group = new ConsumerGroup(req.groupId, this.#timer.now());
      if (classic !== undefined) {
        classic.moveOffsetsTo(group);
        this.#classic.remove(classic);
      }
      this.groups.set(req.groupId, group);
    }

    let member: ConsumerGroupMember | undefined;
    if (req.memberEpoch === 0) {
      const joined = this.#join(group, req);
      if (typeof joined === 'number') return fail(joined);
      member = joined;
    } else {
      member = group.members.get(req.memberId);
      if (member === undefined) {
        return fail(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${req.memberId} is not a member of group ${req.groupId}.`,
        );
      }
      if (req.instanceId !== null && member.instanceId !== req.instanceId)
        return fail(ErrorCode.FENCED_INSTANCE_ID);
      if (
        req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
        req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
      ) {
        return this.#leave(group, member, req.memberEpoch);
      }
      const owned = req.topicPartitions === null ? null : toPartitions(req.topicPartitions);
      if (req.memberEpoch > member.memberEpoch) {
        return fail(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The member epoch ${req.memberEpoch} is ahead of ${member.memberEpoch}.`,
        );
      }
      if (req.memberEpoch < member.memberEpoch) {
        // Only a member that missed our last answer may lag one epoch behind, owning a subset.
        const lostResponse =
          req.memberEpoch === member.previousMemberEpoch &&
          owned !== null &&
          samePartitions(intersect(owned, member.assigned), owned);
        if (!lostResponse) {
          return fail(
            ErrorCode.FENCED_MEMBER_EPOCH,
            `The member epoch ${req.memberEpoch} is behind ${member.memberEpoch}.`,
          );
        }
      }
      this.#updateSubscription(group, member, req);
    }

    this.#scheduleSession(group, member);
    this.#maybeComputeTarget(group);
    this.#markDirty(group.groupId, member.memberId);
    this.#reconcile(
      group,
      member,
      req.memberEpoch === 0
        ? new Map()
        : req.topicPartitions === null
          ? null
          : toPartitions(req.topicPartitions),
    );
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.#config.consumerHeartbeatIntervalMs,
      assignment: member.assigned,
    };
  }

  #validate(req: ConsumerGroupHeartbeatRequest): string | null {
    if (req.groupId === '') return "GroupId can't be empty.";
    if (req.instanceId === '') return "InstanceId can't be empty.";
    if (req.rackId === '') return "RackId can't be empty.";
    if (req.memberEpoch === 0) {
      if (req.apiVersion >= 1 && req.memberId === '') return "MemberId can't be empty.";
      if (req.rebalanceTimeoutMs === -1) return 'RebalanceTimeoutMs must be provided in first request.';
      if (req.topicPartitions === null || req.topicPartitions.length > 0)
        return 'TopicPartitions must be empty when (re-)joining.';
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        return 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.';
      }
    } else if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (req.memberId === '') return "MemberId can't be empty.";
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (req.memberId === '') return "MemberId can't be empty.";
      if (req.instanceId === null) return "InstanceId can't be null.";
    } else {
      return `MemberEpoch ${req.memberEpoch} is invalid.`;
    }
    return null;
  }

  #join(group: ConsumerGroup, req: ConsumerGroupHeartbeatRequest): ConsumerGroupMember | number {
    const memberId = req.memberId !== '' ? req.memberId : ConsumerGroup.newMemberId();
    let previous: ConsumerGroupMember | undefined;
    if (req.instanceId !== null) {
      const existingId = group.staticMembers.get(req.instanceId);
      const existing = existingId === undefined ? undefined : group.members.get(existingId);
      if (existing !== undefined && existing.memberId !== memberId) {
        if (!existing.leftTemporarily) return ErrorCode.UNRELEASED_INSTANCE_ID;
        previous = existing;
      }
    }
    const rejoining = group.members.get(memberId);
    if (rejoining !== undefined && previous === undefined) previous = rejoining;
    if (previous === undefined && group.members.size >= this.#config.consumerGroupMaxSize)
      return ErrorCode.GROUP_MAX_SIZE_REACHED;
    const member = new ConsumerGroupMember({
      memberId,
      instanceId: req.instanceId,
      rackId: req.rackId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      subscribedTopicNames: req.subscribedTopicNames ?? [],
      subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    });
    if (previous !== undefined && previous.instanceId !== null && previous.leftTemporarily) {
      // A static member back under a new id takes over its partitions and epoch: no rebalance.
      member.assigned = previous.assigned;
      member.memberEpoch = previous.memberEpoch;
      member.previousMemberEpoch = previous.previousMemberEpoch;
      group.target.set(memberId, group.target.get(previous.memberId) ?? new Map());
    }
    if (previous !== undefined) this.#removeMember(group, previous);
    group.members.set(memberId, member);
    if (member.instanceId !== null) group.staticMembers.set(member.instanceId, memberId);
    if (!(previous?.leftTemporarily && previous.instanceId !== null)) group.groupEpoch++;
    return member;
  }

  #leave(group: ConsumerGroup, member: ConsumerGroupMember, epoch: number): ConsumerGroupHeartbeatResult {
    if (epoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && member.instanceId !== null) {
      // Kept with its partitions until it returns or its session expires.
      member.leftTemporarily = true;
      this.#scheduleSession(group, member);
    } else {
      this.#removeMember(group, member);
      group.groupEpoch++;
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: epoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }

  #removeMember(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.#markDirty(group.groupId, member.memberId);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.memberId) {
      group.staticMembers.delete(member.instanceId);
    }
    this.#timer.cancel(sessionKey(group.groupId, member.memberId));
    this.#timer.cancel(rebalanceKey(group.groupId, member.memberId));
    if (group.members.size === 0) group.stateTimestamp = this.#timer.now();
  }

  #updateSubscription(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    req: ConsumerGroupHeartbeatRequest,
  ): void {
    let changed = false;
    if (
      req.subscribedTopicNames !== null &&
      !sameList(req.subscribedTopicNames, member.subscribedTopicNames)
    ) {
      member.subscribedTopicNames = req.subscribedTopicNames;
      changed = true;
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== member.subscribedTopicRegex) {
      member.subscribedTopicRegex = req.subscribedTopicRegex;
      changed = true;
    }
    if (req.serverAssignor !== null && req.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = req.serverAssignor;
      changed = true;
    }
    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.rackId !== null) member.rackId = req.rackId;
    if (changed) group.groupEpoch++;
  }

  #scheduleSession(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.#timer.schedule(sessionKey(groupId, memberId), this.#config.consumerSessionTimeoutMs, () => {
      const g = this.groups.get(groupId);
      const m = g?.members.get(memberId);
      if (g === undefined || m === undefined) return;
      this.#logger?.info({ group: groupId, member: memberId }, 'consumer group member session expired');
      this.#removeMember(g, m);
      g.groupEpoch++;
      this.onTimerChange(groupId);
    });
  }

  /** Existing topics (internal ones excepted) whose whole name a subscription regex matches. */
  #topicsMatching(regex: string): string[] {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${regex})$`);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of this.#topics.names()) if (!n.startsWith('__') && re.test(n)) out.push(n);
    return out;
  }

  /** Whether a member subscribes to `topic`, by name or by a regex that matches it (OffsetDelete). */
  isSubscribedToTopic(group: ConsumerGroup, topic: string): boolean {
    for (const m of group.members.values()) {
      if (m.subscribedTopicNames.includes(topic)) return true;
      const re = m.subscribedTopicRegex;
      if (re !== null && re !== '' && this.#topicsMatching(re).includes(topic)) return true;
    }
    return false;
  }

  /** Recomputes the target when membership, subscriptions or the subscribed topics changed. */
  #maybeComputeTarget(group: ConsumerGroup): void {
    // This runs on every heartbeat: look each distinct name and regex up once, not once per
    // member (members of a group mostly share one subscription).
    const names = new Set<string>();
    const regexes = new Map<string, string[]>();
    for (const m of group.members.values()) {
      for (const n of m.subscribedTopicNames) names.add(n);
      const re = m.subscribedTopicRegex;
      if (re !== null && re !== '' && !regexes.has(re)) regexes.set(re, this.#topicsMatching(re));
    }
    const metadata = new Map<string, SubscribedTopicMetadata>();
    const see = (name: string) => {
      const t = this.#topics.byName(name);
      if (t === undefined || metadata.has(t.topicId)) return;
      metadata.set(t.topicId, { topicId: t.topicId, topicName: name, numPartitions: t.partitions });
    };
    for (const n of names) see(n);
    for (const matched of regexes.values()) for (const n of matched) see(n);
    const sorted = [...metadata.values()].sort((a, b) =>
      a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : 0,
    );
    if (subscriptionFingerprint(sorted) !== group.subscriptionFingerprint) {
      group.setSubscribedTopics(sorted);
      this.#dirtyMetadata.add(group.groupId);
      // One new epoch covers every change seen in this heartbeat.
      if (group.groupEpoch <= group.assignmentEpoch) group.groupEpoch++;
    }
    if (group.groupEpoch <= group.assignmentEpoch) return;
    const assignor =
      serverAssignors.get(group.assignorName(this.#config.consumerDefaultAssignor)) ??
      serverAssignors.get('uniform');
    if (assignor === undefined) return;
    const idOf = (name: string) => this.#topics.byName(name)?.topicId;
    const topics = new Map(sorted.map((t) => [t.topicId, t.numPartitions]));
    group.target = assignor.assign({
      members: [...group.members.values()].map((m) => {
        const subscribed = new Set<string>();
        for (const n of m.subscribedTopicNames) {
          const id = idOf(n);
          if (id !== undefined) subscribed.add(id);
        }
        const matched = m.subscribedTopicRegex === null ? undefined : regexes.get(m.subscribedTopicRegex);
        for (const n of matched ?? []) {
          const id = idOf(n);
          if (id !== undefined) subscribed.add(id);
        }
        return { memberId: m.memberId, subscribed, current: group.target.get(m.memberId) ?? new Map() };
      }),
      topics,
    });
    group.assignmentEpoch = group.groupEpoch;
    this.#dirtyAll.add(group.groupId);
  }

  /**
   * Moves the member toward its target: partitions to give up are revoked first (the epoch waits);
   * then it takes the new epoch and every target partition no other member still holds.
   */
  #reconcile(group: ConsumerGroup, member: ConsumerGroupMember, owned: Partitions | null): void {
    if (member.state === MemberState.unrevokedPartitions) {
      const stillOwned =
        owned === null ? member.pendingRevocation : intersect(owned, member.pendingRevocation);
      if (stillOwned.size > 0) return;
      member.pendingRevocation = new Map();
      member.state = MemberState.stable;
      this.#timer.cancel(rebalanceKey(group.groupId, member.memberId));
    }
    if (member.memberEpoch === group.assignmentEpoch && member.state === MemberState.stable) return;
    const target = group.target.get(member.memberId) ?? new Map<string, Set<number>>();
    const keep = intersect(member.assigned, target);
    const revoke = subtract(member.assigned, target);
    if (revoke.size > 0) {
      member.assigned = keep;
      member.pendingRevocation = revoke;
      member.state = MemberState.unrevokedPartitions;
      const groupId = group.groupId;
      const memberId = member.memberId;
      this.#timer.schedule(rebalanceKey(groupId, memberId), member.rebalanceTimeoutMs, () => {
        const g = this.groups.get(groupId);
        const m = g?.members.get(memberId);
        if (g === undefined || m === undefined || m.state !== MemberState.unrevokedPartitions) return;
        // It did not give up its partitions within the rebalance timeout: fenced.
        this.#removeMember(g, m);
        g.groupEpoch++;
        this.onTimerChange(groupId);
      });
      return;
    }
    const assigned: Partitions = new Map();
    for (const [topicId, ps] of target) {
      for (const p of ps) {
        if (keep.get(topicId)?.has(p) || !group.ownedByOther(topicId, p, member.memberId)) {
          let set = assigned.get(topicId);
          if (set === undefined) {
            set = new Set();
            assigned.set(topicId, set);
          }
          set.add(p);
        }
      }
    }
    member.assigned = assigned;
    if (member.memberEpoch !== group.assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
    }
    member.state = samePartitions(assigned, target) ? MemberState.stable : MemberState.unreleasedPartitions;
  }

  /** Removes a group (DeleteGroups, or a change of protocol) and its timers; returns its tombstones. */
  remove(group: ConsumerGroup): CoordinatorRecord[] {
    for (const m of [...group.members.values()]) this.#removeMember(group, m);
    group.dead = true;
    this.#dirtyMetadata.delete(group.groupId);
    this.groups.delete(group.groupId);
    return this.changes(group.groupId);
  }

  /** Rebuilds a group replayed from `__consumer_offsets` (its records are already there). */
  restore(group: ConsumerGroup): void {
    this.groups.set(group.groupId, group);
    for (const m of group.members.values()) {
      if (m.instanceId !== null) group.staticMembers.set(m.instanceId, m.memberId);
      this.#scheduleSession(group, m);
    }
    this.#dirtyAll.add(group.groupId);
    this.#dirtyMetadata.add(group.groupId);
    this.changes(group.groupId);
  }

  close(): void {
    this.groups.clear();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}

function sessionKey(groupId: string, memberId: string): string {
  return `cg-session\u0000${groupId}\u0000${memberId}`;
}

function rebalanceKey(groupId: string, memberId: string): string {
  return `cg-rebalance\u0000${groupId}\u0000${memberId}`;
}
