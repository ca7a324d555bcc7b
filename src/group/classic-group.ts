import { assert } from '../core/assert.js';
import { subscribedTopics } from './consumer-protocol.js';
import { ErrorCode } from './errors.js';
import { GroupOffsets } from './offsets.js';

export type { CommittedOffset } from './offsets.js';

/** The classic protocol's group states, named as Kafka reports them in ListGroups/DescribeGroups. */
export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

/** Which states each state may be entered from (Kafka's ClassicGroupState table). */
const validPreviousStates: Record<GroupState, readonly GroupState[]> = {
  Empty: [GroupState.PreparingRebalance],
  PreparingRebalance: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  CompletingRebalance: [GroupState.PreparingRebalance],
  Stable: [GroupState.CompletingRebalance],
  Dead: [
    GroupState.Stable,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Empty,
    GroupState.Dead,
  ],
};

export interface JoinProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMember[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

const emptyBytes = new Uint8Array(0);

export class ClassicGroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: JoinProtocol[];
  assignment: Uint8Array = emptyBytes;
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  /** A member that joined and has not yet completed a join phase; it may expire while waiting. */
  isNew = false;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: JoinProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** Members awaiting a join or sync answer are alive by definition; new ones must still heartbeat. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  metadataFor(protocolName: string | null): Uint8Array {
    for (const p of this.protocols) if (p.name === protocolName) return p.metadata;
    return emptyBytes;
  }

  /** Same protocols, same order, same metadata bytes: a rejoin that changes nothing. */
  matches(protocols: readonly JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i];
      const b = this.protocols[i];
      if (a === undefined || b === undefined || a.name !== b.name) return false;
      if (!Buffer.from(a.metadata).equals(Buffer.from(b.metadata))) return false;
    }
    return true;
  }

  vote(candidates: ReadonlySet<string>): string {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    assert(false, `member ${this.memberId} supports none of the candidate protocols`);
  }
}

/** One classic group: membership and generation (and, through GroupOffsets, its committed offsets). */
export class ClassicGroup extends GroupOffsets {
  readonly groupId: string;
  state: GroupState = GroupState.Empty;
  previousState: GroupState = GroupState.Empty;
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion-ordered, as Kafka's LinkedHashMap: the first member becomes leader. */
  readonly members = new Map<string, ClassicGroupMember>();
  readonly staticMembers = new Map<string, string>();
  /** Dynamic members given an id by MEMBER_ID_REQUIRED that have not joined with it yet. */
  readonly pendingJoinMembers = new Set<string>();
  /** Members of the new generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  numMembersAwaitingJoin = 0;
  newMemberAdded = false;
  readonly #protocolVotes = new Map<string, number>();

  constructor(groupId: string, now: number) {
    super();
    this.groupId = groupId;
    this.stateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(next: GroupState, now: number): void {
    assert(
      validPreviousStates[next].includes(this.state),
      `group ${this.groupId}: invalid transition ${this.state} → ${next}`,
    );
    this.previousState = this.state;
    this.state = next;
    this.stateTimestamp = now;
  }

  canRebalance(): boolean {
    return validPreviousStates.PreparingRebalance.includes(this.state);
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    assert(m !== undefined, `group ${this.groupId}: no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => (this.#protocolVotes.get(p.name) ?? 0) === this.members.size)
    );
  }

  #countProtocols(member: ClassicGroupMember, delta: number): void {
    for (const name of new Set(member.protocols.map((p) => p.name))) {
      const n = (this.#protocolVotes.get(name) ?? 0) + delta;
      if (n === 0) this.#protocolVotes.delete(name);
      else this.#protocolVotes.set(name, n);
    }
  }

  add(member: ClassicGroupMember, onJoin: ((r: JoinGroupResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      assert(!this.staticMembers.has(member.groupInstanceId), 'static member added twice');
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, 'member protocol type differs from the group');
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.#countProtocols(member, 1);
    member.awaitingJoin = onJoin;
    if (onJoin !== null) this.numMembersAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const removed = this.members.get(memberId);
    if (removed !== undefined) {
      this.members.delete(memberId);
      this.#countProtocols(removed, -1);
      if (removed.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (removed.groupInstanceId !== null) this.staticMembers.delete(removed.groupInstanceId);
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  updateMember(
    member: ClassicGroupMember,
    protocols: JoinProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    onJoin: ((r: JoinGroupResult) => void) | null,
  ): void {
    this.#countProtocols(member, -1);
    member.protocols = protocols;
    this.#countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (onJoin !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (onJoin === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = onJoin;
  }

  /** Moves a static member to a fresh member id, fencing whoever still waits under the old one. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const member = this.members.get(oldMemberId);
    assert(member !== undefined, `cannot replace unknown member ${oldMemberId}`);
    this.completeJoin(member, fencedJoin(oldMemberId));
    this.completeSync(member, {
      errorCode: ErrorCode.FENCED_INSTANCE_ID,
      protocolType: null,
      protocolName: null,
      assignment: emptyBytes,
    });
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  completeJoin(member: ClassicGroupMember, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin;
    if (cb === null) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  completeSync(member: ClassicGroupMember, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (cb === null) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  /** When the leader failed to rejoin, any member that did rejoin leads the next generation. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  selectProtocol(): string {
    assert(this.members.size > 0, 'cannot select a protocol for an empty group');
    const candidates = new Set<string>();
    for (const [name, count] of this.#protocolVotes) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    assert(best !== undefined, 'no protocol selected');
    return best;
  }

  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo(GroupState.CompletingRebalance, now);
    } else {
      this.protocolName = null;
      this.transitionTo(GroupState.Empty, now);
    }
    this.pendingSyncMembers.clear();
  }

  currentMembersForLeader(): JoinGroupMember[] {
    const out: JoinGroupMember[] = [];
    for (const m of this.members.values()) {
      out.push({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadataFor(this.protocolName),
      });
    }
    return out;
  }

  /** Topics the members subscribe to, or null when unknown (not the consumer protocol, or unreadable). */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer') return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const all = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscribedTopics(m.metadataFor(this.protocolName));
      if (topics === null) return null;
      for (const t of topics) all.add(t);
    }
    return all;
  }

  isSubscribedToTopic(topic: string): boolean {
    const topics = this.subscribedTopics();
    return topics === null ? this.protocolType === 'consumer' : topics.has(topic);
  }

  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }
}

function fencedJoin(memberId: string): JoinGroupResult {
  return {
    errorCode: ErrorCode.FENCED_INSTANCE_ID,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}
