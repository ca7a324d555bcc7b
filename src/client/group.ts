import { ApiKey } from '../protocol/generated/apis.js';
import {
  type ConsumerProtocolAssignment,
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from '../protocol/generated/consumer-protocol-assignment.js';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from '../protocol/generated/consumer-protocol-subscription.js';
import type { DeleteGroupsResponse } from '../protocol/generated/delete-groups-response.js';
import type { DescribeGroupsResponse } from '../protocol/generated/describe-groups-response.js';
import type { FindCoordinatorResponse } from '../protocol/generated/find-coordinator-response.js';
import type { HeartbeatResponse } from '../protocol/generated/heartbeat-response.js';
import type { JoinGroupResponse } from '../protocol/generated/join-group-response.js';
import type { ListGroupsResponse } from '../protocol/generated/list-groups-response.js';
import type { OffsetCommitResponse } from '../protocol/generated/offset-commit-response.js';
import type { OffsetFetchResponse } from '../protocol/generated/offset-fetch-response.js';
import type { SyncGroupResponse } from '../protocol/generated/sync-group-response.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { type KafkaClient, sleep } from './client.js';
import type { Connection } from './connection.js';
import { brokerError, ClientError } from './errors.js';

const COORDINATOR_RETRIES = 10;
const COORDINATOR_BACKOFF_MS = 200;

/** The group coordinator's connection (FindCoordinator, retried while it is loading). */
export async function coordinator(client: KafkaClient, groupId: string): Promise<Connection> {
  for (let attempt = 0; ; attempt++) {
    const conn = await client.any();
    const version = conn.version(ApiKey.FindCoordinator);
    const res = await conn.request<FindCoordinatorResponse>(
      ApiKey.FindCoordinator,
      version >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 },
      { version },
    );
    const c =
      version >= 4
        ? res.coordinators[0]
        : {
            nodeId: res.nodeId,
            host: res.host,
            port: res.port,
            errorCode: res.errorCode,
            errorMessage: res.errorMessage,
          };
    if (!c) throw new ClientError(`FindCoordinator for group '${groupId}' returned no coordinator`);
    if (c.errorCode === 0) return client.connectionTo(c.host, c.port);
    // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE
    if ((c.errorCode === 14 || c.errorCode === 15) && attempt < COORDINATOR_RETRIES) {
      await sleep(COORDINATOR_BACKOFF_MS);
      continue;
    }
    throw brokerError(`find the coordinator of group '${groupId}'`, c.errorCode, c.errorMessage);
  }
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}

/** Every group of every broker. */
export async function listGroups(client: KafkaClient): Promise<GroupListing[]> {
  await client.metadata([]);
  const out: GroupListing[] = [];
  for (const b of client.brokers.values()) {
    const conn = await client.connectionTo(b.host, b.port);
    const res = await conn.request<ListGroupsResponse>(ApiKey.ListGroups, {});
    if (res.errorCode !== 0) throw brokerError(`list groups on broker ${b.nodeId}`, res.errorCode);
    for (const g of res.groups)
      out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState });
  }
  return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Partitions assigned by the consumer protocol, when the group uses it. */
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  errorCode: number;
  members: GroupMemberDescription[];
}

export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupDescription> {
  const conn = await coordinator(client, groupId);
  const res = await conn.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, { groups: [groupId] });
  const g = res.groups[0];
  if (!g) throw new ClientError(`DescribeGroups for '${groupId}' returned no group`);
  if (g.errorCode !== 0) throw brokerError(`describe group '${groupId}'`, g.errorCode);
  return {
    groupId: g.groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    errorCode: g.errorCode,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment:
        g.protocolType === 'consumer'
          ? decodeAssignment(m.memberAssignment).assignedPartitions.map((a) => ({
              topic: a.topic,
              partitions: [...a.partitions],
            }))
          : [],
    })),
  };
}

export async function deleteGroups(
  client: KafkaClient,
  groupIds: readonly string[],
): Promise<{ groupId: string; errorCode: number }[]> {
  const out: { groupId: string; errorCode: number }[] = [];
  for (const groupId of groupIds) {
    const conn = await coordinator(client, groupId);
    const res = await conn.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [groupId] });
    for (const r of res.results) out.push({ groupId: r.groupId, errorCode: r.errorCode });
  }
  return out;
}

/** Committed offsets of a group: topic → partition → offset (-1 when none). null topics = all. */
export async function fetchCommitted(
  client: KafkaClient,
  groupId: string,
  topics: readonly { topic: string; partitions: readonly number[] }[] | null,
): Promise<Map<string, Map<number, number>>> {
  const conn = await coordinator(client, groupId);
  const version = conn.version(ApiKey.OffsetFetch);
  const reqTopics =
    topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
  const res = await conn.request<OffsetFetchResponse>(
    ApiKey.OffsetFetch,
    version >= 8 ? { groups: [{ groupId, topics: reqTopics }] } : { groupId, topics: reqTopics },
    { version },
  );
  // v8+ answers per group; before, the group's answer is the response itself.
  let group: { errorCode: number; topics: typeof res.topics } = res;
  if (version >= 8) {
    const g = res.groups[0];
    if (!g) throw new ClientError(`OffsetFetch for group '${groupId}' returned no group`);
    group = g;
  }
  if (group.errorCode !== 0)
    throw brokerError(`fetch committed offsets of group '${groupId}'`, group.errorCode);
  const out = new Map<string, Map<number, number>>();
  for (const t of group.topics) {
    const m = new Map<number, number>();
    for (const p of t.partitions) {
      if (p.errorCode !== 0)
        throw brokerError(`fetch committed offset of ${t.name}-${p.partitionIndex}`, p.errorCode);
      m.set(p.partitionIndex, p.committedOffset);
    }
    out.set(t.name, m);
  }
  return out;
}

/** Commits offsets; generationId -1 and memberId '' commit for an empty group (reset-offsets). */
export async function commitOffsets(
  client: KafkaClient,
  groupId: string,
  offsets: readonly { topic: string; partition: number; offset: number }[],
  member: { generationId: number; memberId: string } = { generationId: -1, memberId: '' },
  conn?: Connection,
): Promise<void> {
  const c = conn ?? (await coordinator(client, groupId));
  const byTopic = new Map<
    string,
    { partitionIndex: number; committedOffset: number; committedMetadata: string }[]
  >();
  for (const o of offsets) {
    const l = byTopic.get(o.topic) ?? [];
    l.push({ partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: '' });
    byTopic.set(o.topic, l);
  }
  const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
    groupId,
    generationIdOrMemberEpoch: member.generationId,
    memberId: member.memberId,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  });
  for (const t of res.topics)
    for (const p of t.partitions)
      if (p.errorCode !== 0)
        throw brokerError(
          `commit offset of ${t.name}-${p.partitionIndex} for group '${groupId}'`,
          p.errorCode,
        );
}

function decodeAssignment(buf: Buffer): ConsumerProtocolAssignment {
  if (buf.length < 2)
    return {
      assignedPartitions: [],
      userData: null,
      _unknownTaggedFields: [],
    } as unknown as ConsumerProtocolAssignment;
  try {
    const r = new Reader(buf);
    const version = r.int16();
    return decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
  } catch {
    return { assignedPartitions: [], userData: null } as unknown as ConsumerProtocolAssignment;
  }
}

function encodeWithVersion(fn: (w: Writer) => void): Buffer {
  const w = new Writer(256);
  w.int16(0);
  fn(w);
  return w.toBuffer();
}

/** Range assignment (Kafka's RangeAssignor): per topic, contiguous partition ranges by member id order. */
export function rangeAssign(
  members: readonly { memberId: string; topics: readonly string[] }[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const m of members) out.set(m.memberId, new Map());
  for (const [topic, count] of partitionCounts) {
    const subs = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    if (subs.length === 0) continue;
    const per = Math.floor(count / subs.length);
    const extra = count % subs.length;
    subs.forEach((id, i) => {
      const start = per * i + Math.min(i, extra);
      const n = per + (i < extra ? 1 : 0);
      if (n === 0) return;
      const parts: number[] = [];
      for (let p = start; p < start + n; p++) parts.push(p);
      out.get(id)!.set(topic, parts);
    });
  }
  return out;
}

export interface GroupMemberOptions {
  groupId: string;
  topics: readonly string[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/**
 * A classic-protocol consumer group member (protocol type "consumer", range assignor):
 * JoinGroup (with the MEMBER_ID_REQUIRED round trip), the leader assigns, SyncGroup, then
 * heartbeats; a heartbeat answered REBALANCE_IN_PROGRESS sets `rejoinNeeded`.
 */
export class GroupMember {
  readonly #client: KafkaClient;
  readonly #o: Required<GroupMemberOptions>;
  memberId = '';
  generationId = -1;
  assignment: { topic: string; partition: number }[] = [];
  rejoinNeeded = false;
  #conn: Connection | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #heartbeatError: Error | null = null;

  constructor(client: KafkaClient, options: GroupMemberOptions) {
    this.#client = client;
    this.#o = {
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 60_000,
      heartbeatIntervalMs: 3_000,
      ...options,
    };
  }

  get groupId(): string {
    return this.#o.groupId;
  }

  /** Joins (or rejoins) the group and returns this member's partitions. */
  async join(): Promise<{ topic: string; partition: number }[]> {
    this.#stopHeartbeat();
    this.rejoinNeeded = false;
    for (let attempt = 0; attempt < 20; attempt++) {
      this.#conn = await coordinator(this.#client, this.#o.groupId);
      const metadata = encodeWithVersion((w) =>
        encodeConsumerProtocolSubscription(w, { topics: this.#o.topics }, 0),
      );
      const join = await this.#conn.request<JoinGroupResponse>(
        ApiKey.JoinGroup,
        {
          groupId: this.#o.groupId,
          sessionTimeoutMs: this.#o.sessionTimeoutMs,
          rebalanceTimeoutMs: this.#o.rebalanceTimeoutMs,
          memberId: this.memberId,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata }],
        },
        // The coordinator holds a JoinGroup until every member rejoined, up to the rebalance timeout.
        { timeoutMs: this.#o.rebalanceTimeoutMs + 5_000 },
      );
      if (join.errorCode === 79) {
        // MEMBER_ID_REQUIRED: join again with the id the coordinator gave.
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === 25) {
        // UNKNOWN_MEMBER_ID: start over with a fresh id.
        this.memberId = '';
        continue;
      }
      if (join.errorCode === 27 || join.errorCode === 14 || join.errorCode === 15 || join.errorCode === 16) {
        await sleep(COORDINATOR_BACKOFF_MS);
        continue;
      }
      if (join.errorCode !== 0) throw brokerError(`join group '${this.#o.groupId}'`, join.errorCode);
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId) {
        const members = join.members.map((m) => {
          let topics: string[] = [];
          try {
            const r = new Reader(m.metadata);
            const v = r.int16();
            topics = [...decodeConsumerProtocolSubscription(r, Math.min(Math.max(v, 0), 3)).topics];
          } catch {
            topics = [];
          }
          return { memberId: m.memberId, topics };
        });
        const allTopics = [...new Set(members.flatMap((m) => m.topics))];
        const counts = new Map<string, number>();
        for (const t of allTopics) counts.set(t, (await this.#client.topic(t, true)).partitions.length);
        const plan = rangeAssign(members, counts);
        assignments = [...plan].map(([memberId, topics]) => ({
          memberId,
          assignment: encodeWithVersion((w) =>
            encodeConsumerProtocolAssignment(
              w,
              { assignedPartitions: [...topics].map(([topic, partitions]) => ({ topic, partitions })) },
              0,
            ),
          ),
        }));
      }
      const sync = await this.#conn.request<SyncGroupResponse>(ApiKey.SyncGroup, {
        groupId: this.#o.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments,
      });
      if (sync.errorCode === 27) continue; // REBALANCE_IN_PROGRESS
      if (sync.errorCode !== 0) throw brokerError(`sync group '${this.#o.groupId}'`, sync.errorCode);
      const a = decodeAssignment(sync.assignment);
      this.assignment = a.assignedPartitions.flatMap((t) =>
        t.partitions.map((partition) => ({ topic: t.topic, partition })),
      );
      this.#startHeartbeat();
      return this.assignment;
    }
    throw new ClientError(`could not join group '${this.#o.groupId}' after 20 attempts`);
  }

  /** A heartbeat failure other than a rebalance, if one happened. */
  get heartbeatError(): Error | null {
    return this.#heartbeatError;
  }

  #startHeartbeat(): void {
    this.#heartbeat = setInterval(() => {
      const conn = this.#conn;
      if (!conn) return;
      conn
        .request<HeartbeatResponse>(ApiKey.Heartbeat, {
          groupId: this.#o.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
        })
        .then(
          (res) => {
            if (res.errorCode === 27 || res.errorCode === 22 || res.errorCode === 25)
              this.rejoinNeeded = true;
            else if (res.errorCode !== 0) this.#heartbeatError = brokerError('heartbeat', res.errorCode);
          },
          (err: Error) => {
            this.#heartbeatError = err;
          },
        );
    }, this.#o.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  async commit(offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return;
    await commitOffsets(
      this.#client,
      this.#o.groupId,
      offsets,
      { generationId: this.generationId, memberId: this.memberId },
      this.#conn ?? undefined,
    );
  }

  /** Leaves the group (LeaveGroup) so the others rebalance at once. */
  async leave(): Promise<void> {
    this.#stopHeartbeat();
    const conn = this.#conn;
    if (!conn || !this.memberId) return;
    const version = conn.version(ApiKey.LeaveGroup);
    await conn.request(
      ApiKey.LeaveGroup,
      version >= 3
        ? { groupId: this.#o.groupId, members: [{ memberId: this.memberId }] }
        : { groupId: this.#o.groupId, memberId: this.memberId },
      { version },
    );
  }
}
