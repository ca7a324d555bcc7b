import { randomUUID } from 'node:crypto';
import type { Partitions } from './assignors.js';
import type { SubscribedTopicMetadata } from './consumer-records.js';
import { GroupOffsets } from './offsets.js';

/** States of a consumer-protocol group (KIP-848), as ListGroups/ConsumerGroupDescribe name them. */
export const ConsumerGroupState = {
  Empty: 'Empty',
  Assigning: 'Assigning',
  Reconciling: 'Reconciling',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ConsumerGroupState = (typeof ConsumerGroupState)[keyof typeof ConsumerGroupState];

/** Where a member is in moving from its current assignment to its target. */
export const MemberState = {
  stable: 'stable',
  /** It must give up partitions first; its epoch waits until it has. */
  unrevokedPartitions: 'unrevoked_partitions',
  /** It has the new epoch but some target partitions are still held by others. */
  unreleasedPartitions: 'unreleased_partitions',
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** Epoch a static member sends when it leaves expecting to come back (KIP-848). */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;

export class ConsumerGroupMember {
  memberId: string;
  readonly instanceId: string | null;
  rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: MemberState = MemberState.stable;
  assigned: Partitions = new Map();
  pendingRevocation: Partitions = new Map();
  /** A static member that left with epoch -2 and may come back under a new member id. */
  leftTemporarily = false;

  constructor(init: {
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    serverAssignor: string | null;
    rebalanceTimeoutMs: number;
  }) {
    this.memberId = init.memberId;
    this.instanceId = init.instanceId;
    this.rackId = init.rackId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.subscribedTopicNames = init.subscribedTopicNames;
    this.subscribedTopicRegex = init.subscribedTopicRegex;
    this.serverAssignor = init.serverAssignor;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
  }
}

/** A consumer-protocol group: members, epochs and the target assignment (plus its offsets). */
export class ConsumerGroup extends GroupOffsets {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  /**
   * The subscribed topics (ids, names, partition counts) when the target was computed, sorted by
   * id, and their fingerprint for a cheap comparison; stored as ConsumerGroupPartitionMetadata.
   */
  subscribedTopics: readonly SubscribedTopicMetadata[] = [];
  subscriptionFingerprint = '';
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly staticMembers = new Map<string, string>();
  target = new Map<string, Partitions>();
  stateTimestamp: number;
  dead = false;

  constructor(groupId: string, now: number) {
    super();
    this.groupId = groupId;
    this.stateTimestamp = now;
  }

  get state(): ConsumerGroupState {
    if (this.dead) return ConsumerGroupState.Dead;
    if (this.members.size === 0) return ConsumerGroupState.Empty;
    if (this.groupEpoch > this.assignmentEpoch) return ConsumerGroupState.Assigning;
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.stable)
        return ConsumerGroupState.Reconciling;
    }
    return ConsumerGroupState.Stable;
  }

  setSubscribedTopics(topics: readonly SubscribedTopicMetadata[]): void {
    this.subscribedTopics = [...topics].sort((a, b) =>
      a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : 0,
    );
    this.subscriptionFingerprint = subscriptionFingerprint(this.subscribedTopics);
  }

  /** The assignor the group uses: the first one a member asked for, else the default. */
  assignorName(defaultAssignor: string): string {
    for (const m of this.members.values()) if (m.serverAssignor !== null) return m.serverAssignor;
    return defaultAssignor;
  }

  /** Whether `partition` of `topicId` is held (assigned or still being revoked) by a member other than `except`. */
  ownedByOther(topicId: string, partition: number, except: string): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      if (m.assigned.get(topicId)?.has(partition) || m.pendingRevocation.get(topicId)?.has(partition))
        return true;
    }
    return false;
  }

  static newMemberId(): string {
    return randomUUID();
  }
}

/** Topic ids, names and partition counts of a sorted subscription, as one comparable string. */
export function subscriptionFingerprint(sorted: readonly SubscribedTopicMetadata[]): string {
  return sorted.map((t) => `${t.topicId}:${t.numPartitions}:${t.topicName}`).join(',');
}

export function countPartitions(p: Partitions): number {
  let n = 0;
  for (const s of p.values()) n += s.size;
  return n;
}

export function intersect(a: Partitions, b: ReadonlyMap<string, ReadonlySet<number>>): Partitions {
  const out: Partitions = new Map();
  for (const [t, ps] of a) {
    const other = b.get(t);
    if (other === undefined) continue;
    const kept = new Set([...ps].filter((p) => other.has(p)));
    if (kept.size > 0) out.set(t, kept);
  }
  return out;
}

export function subtract(a: Partitions, b: ReadonlyMap<string, ReadonlySet<number>>): Partitions {
  const out: Partitions = new Map();
  for (const [t, ps] of a) {
    const other = b.get(t);
    const left = new Set([...ps].filter((p) => !other?.has(p)));
    if (left.size > 0) out.set(t, left);
  }
  return out;
}

export function samePartitions(a: Partitions, b: Partitions): boolean {
  if (countPartitions(a) !== countPartitions(b)) return false;
  for (const [t, ps] of a) for (const p of ps) if (!b.get(t)?.has(p)) return false;
  return true;
}

export function toPartitions(
  list: readonly { topicId: string; partitions: readonly number[] }[],
): Partitions {
  const out: Partitions = new Map();
  for (const tp of list) {
    if (tp.partitions.length === 0) continue;
    let set = out.get(tp.topicId);
    if (set === undefined) {
      set = new Set();
      out.set(tp.topicId, set);
    }
    for (const p of tp.partitions) set.add(p);
  }
  return out;
}

export function fromPartitions(p: Partitions): { topicId: string; partitions: number[] }[] {
  return [...p]
    .filter(([, ps]) => ps.size > 0)
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}
