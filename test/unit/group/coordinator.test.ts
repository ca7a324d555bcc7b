import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GroupCoordinator,
  type GroupState,
  type JoinGroupRequest,
  type JoinGroupResult,
  type OffsetsLog,
} from '../../../src/group/coordinator.js';
import { ErrorCode } from '../../../src/group/errors.js';
import {
  type CoordinatorRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
} from '../../../src/group/records.js';
import { ManualTimer } from '../../../src/group/timer.js';

/** An in-memory __consumer_offsets: the real seam, kept in arrays; can be told to fail. */
class MemoryOffsetsLog implements OffsetsLog {
  readonly partitions = new Map<number, CoordinatorRecord[]>();
  failWith: number | null = null;
  async append(partition: number, records: CoordinatorRecord[]): Promise<void> {
    if (this.failWith !== null) throw Object.assign(new Error('append failed'), { code: this.failWith });
    let log = this.partitions.get(partition);
    if (log === undefined) {
      log = [];
      this.partitions.set(partition, log);
    }
    log.push(...records);
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(config: Record<string, number> = {}) {
  const timer = new ManualTimer(1_000_000);
  const log = new MemoryOffsetsLog();
  const coordinator = new GroupCoordinator({
    log,
    timer,
    config: {
      groupInitialRebalanceDelayMs: 100,
      groupMinSessionTimeoutMs: 1000,
      offsetsTopicNumPartitions: 4,
      ...config,
    },
  });
  coordinator.loadPartition(0, []);
  coordinator.loadPartition(1, []);
  coordinator.loadPartition(2, []);
  coordinator.loadPartition(3, []);
  return { timer, log, coordinator };
}

function joinReq(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array([0, 0, 0, 0, 0, 0]) }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    supportsSkipAssignment: true,
    ...overrides,
  };
}

/** Joins with MEMBER_ID_REQUIRED first, as JoinGroup v4+ clients do; returns the pending join. */
async function startJoin(
  c: GroupCoordinator,
  overrides: Partial<JoinGroupRequest> = {},
): Promise<{ join: Promise<JoinGroupResult> }> {
  const first = await c.joinGroup(joinReq(overrides));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.ok(first.memberId.startsWith('client-'));
  return { join: c.joinGroup(joinReq({ ...overrides, memberId: first.memberId })) };
}

/** Forms a stable group of n dynamic members; the leader assigns `a-<i>` bytes to each. */
async function stableGroup(c: GroupCoordinator, timer: ManualTimer, n: number) {
  const pending: Promise<JoinGroupResult>[] = [];
  for (let i = 0; i < n; i++) pending.push((await startJoin(c)).join);
  timer.advance(1000);
  const joins = await Promise.all(pending);
  for (const j of joins) assert.equal(j.errorCode, ErrorCode.NONE);
  const leader = joins.find((j) => j.memberId === j.leader);
  assert.ok(leader);
  assert.equal(leader.members.length, n);
  const generationId = leader.generationId;
  const syncs = joins.map((j) =>
    c.syncGroup({
      groupId: 'g',
      generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments:
        j.memberId === j.leader
          ? joins.map((m, i) => ({ memberId: m.memberId, assignment: new Uint8Array([i]) }))
          : [],
    }),
  );
  const results = await Promise.all(syncs);
  for (const [i, r] of results.entries()) {
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual([...r.assignment], [i]);
  }
  return { members: joins.map((j) => j.memberId), generationId, leader: leader.memberId };
}

function state(c: GroupCoordinator, groupId = 'g'): GroupState | undefined {
  return c.group(groupId)?.state;
}

describe('classic group membership', () => {
  it('forms a stable group: MEMBER_ID_REQUIRED, one generation, leader gets every member', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 3);
    assert.equal(state(coordinator), 'Stable');
    assert.equal(g.generationId, 1);
    for (const m of g.members) {
      assert.equal(
        coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: m, groupInstanceId: null }),
        0,
      );
    }
  });

  it('answers heartbeats with Kafka errors: unknown group, unknown member, wrong generation', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 1);
    const hb = (groupId: string, memberId: string, generationId: number) =>
      coordinator.heartbeat({ groupId, generationId, memberId, groupInstanceId: null });
    assert.equal(hb('nope', 'x', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(hb('g', 'x', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(hb('g', g.leader, 7), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(hb('g', g.leader, 1), ErrorCode.NONE);
  });

  it('rejects bad joins: empty group id, session timeout out of range, inconsistent protocol', async () => {
    const { coordinator, timer } = setup();
    assert.equal(
      (await coordinator.joinGroup(joinReq({ groupId: '' }))).errorCode,
      ErrorCode.INVALID_GROUP_ID,
    );
    assert.equal(
      (await coordinator.joinGroup(joinReq({ sessionTimeoutMs: 10 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    assert.equal(
      (await coordinator.joinGroup(joinReq({ sessionTimeoutMs: 1_800_001 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    await stableGroup(coordinator, timer, 1);
    const other = await coordinator.joinGroup(
      joinReq({ protocols: [{ name: 'roundrobin', metadata: new Uint8Array() }] }),
    );
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await coordinator.joinGroup(joinReq({ protocolType: 'connect' }));
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const unknown = await coordinator.joinGroup(joinReq({ groupId: 'fresh', memberId: 'ghost' }));
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('selects the protocol every member supports, by first preference', async () => {
    const { coordinator, timer } = setup();
    const p = (...names: string[]) =>
      names.map((name) => ({ name, metadata: new Uint8Array([name.length]) }));
    const a = (await startJoin(coordinator, { protocols: p('cooperative-sticky', 'range') })).join;
    const b = (await startJoin(coordinator, { protocols: p('range', 'cooperative-sticky') })).join;
    const c = (await startJoin(coordinator, { protocols: p('range') })).join;
    timer.advance(1000);
    const results = await Promise.all([a, b, c]);
    for (const r of results) assert.equal(r.protocolName, 'range');
  });

  it('rebalances when a member leaves; the others rejoin into the next generation', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 3);
    const [gone, ...stay] = g.members as [string, string, string];
    const left = coordinator.leaveGroup('g', [{ memberId: gone, groupInstanceId: null }]);
    assert.deepEqual(left, {
      errorCode: 0,
      members: [{ memberId: gone, groupInstanceId: null, errorCode: 0 }],
    });
    assert.equal(state(coordinator), 'PreparingRebalance');
    for (const m of stay) {
      assert.equal(
        coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: m, groupInstanceId: null }),
        27,
      );
    }
    const rejoins = stay.map((memberId) => coordinator.joinGroup(joinReq({ memberId })));
    const results = await Promise.all(rejoins);
    for (const r of results) {
      assert.equal(r.errorCode, 0);
      assert.equal(r.generationId, 2);
    }
    assert.equal(state(coordinator), 'CompletingRebalance');
    const leaveUnknown = coordinator.leaveGroup('g', [{ memberId: 'nobody', groupInstanceId: null }]);
    assert.equal(leaveUnknown.members[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('expires a member that stops heartbeating after its session timeout', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 2);
    const [dead, alive] = g.members as [string, string];
    for (let t = 0; t < 12; t++) {
      timer.advance(1000);
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: alive, groupInstanceId: null });
    }
    assert.equal(coordinator.group('g')?.hasMember(dead), false);
    assert.equal(state(coordinator), 'PreparingRebalance');
    const r = await coordinator.joinGroup(joinReq({ memberId: alive }));
    assert.equal(r.errorCode, 0);
    assert.equal(r.generationId, 2);
    assert.equal(r.leader, alive);
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [alive],
    );
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 2);
    const [a, b] = g.members as [string, string];
    const rejoin = coordinator.joinGroup(joinReq({ memberId: a }));
    assert.equal(state(coordinator), 'PreparingRebalance');
    timer.advance(20_000);
    const r = await rejoin;
    assert.equal(r.errorCode, 0);
    assert.equal(r.generationId, 2);
    assert.equal(coordinator.group('g')?.hasMember(b), false);
  });

  it('sync errors: unknown member, wrong generation, rebalance in progress', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 2);
    const sync = (memberId: string, generationId: number) =>
      coordinator.syncGroup({
        groupId: 'g',
        generationId,
        memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      });
    assert.equal((await sync('x', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync(g.leader, 3)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    const follower = g.members.find((m) => m !== g.leader) as string;
    const again = await sync(follower, 1);
    assert.equal(again.errorCode, 0);
    assert.ok(again.assignment.length > 0);
    void coordinator.joinGroup(joinReq({ memberId: g.leader }));
    assert.equal((await sync(follower, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const none = await coordinator.syncGroup({
      groupId: 'nope',
      generationId: 1,
      memberId: 'm',
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.equal(none.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes members that never send SyncGroup and rebalances', async () => {
    const { coordinator, timer } = setup();
    const pending = [(await startJoin(coordinator)).join, (await startJoin(coordinator)).join];
    timer.advance(1000);
    const joins = await Promise.all(pending);
    const leader = joins.find((j) => j.leader === j.memberId) as JoinGroupResult;
    const follower = joins.find((j) => j.leader !== j.memberId) as JoinGroupResult;
    const leaderSync = coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    assert.equal((await leaderSync).errorCode, 0);
    assert.equal(state(coordinator), 'Stable');
    for (let t = 0; t < 20; t++) {
      timer.advance(1000);
      coordinator.heartbeat({
        groupId: 'g',
        generationId: 1,
        memberId: leader.memberId,
        groupInstanceId: null,
      });
    }
    assert.equal(coordinator.group('g')?.hasMember(follower.memberId), false);
    assert.equal(state(coordinator), 'PreparingRebalance');
  });

  it('fails the rebalance with UNKNOWN_SERVER_ERROR when the group metadata exceeds message.max.bytes', async () => {
    const { coordinator, timer } = setup({ messageMaxBytes: 10_000 });
    const big = new Uint8Array(20_000);
    const { join } = await startJoin(coordinator, { protocols: [{ name: 'range', metadata: big }] });
    timer.advance(1000);
    const j = await join;
    assert.equal(j.errorCode, 0);
    const sync = await coordinator.syncGroup({
      groupId: 'g',
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: new Uint8Array(4) }],
    });
    assert.equal(sync.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.equal(state(coordinator), 'PreparingRebalance');
  });

  it('enforces group.max.size', async () => {
    const { coordinator, timer } = setup({ groupMaxSize: 2 });
    await stableGroup(coordinator, timer, 2);
    const third = await coordinator.joinGroup(joinReq({ requireKnownMemberId: false }));
    assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe('static membership (KIP-345)', () => {
  it('a static member rejoining with a new member id takes its place without a rebalance', async () => {
    const { coordinator, timer } = setup();
    const a = coordinator.joinGroup(joinReq({ groupInstanceId: 'ia' }));
    const b = coordinator.joinGroup(joinReq({ groupInstanceId: 'ib' }));
    timer.advance(1000);
    const [ja, jb] = await Promise.all([a, b]);
    assert.ok(ja && jb);
    assert.equal(ja.errorCode, 0);
    assert.ok(ja.memberId.startsWith('ia-'));
    const leader = ja.leader === ja.memberId ? ja : jb;
    const follower = leader === ja ? jb : ja;
    const syncs = [ja, jb].map((j) =>
      coordinator.syncGroup({
        groupId: 'g',
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: j === ja ? 'ia' : 'ib',
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: j === leader ? [{ memberId: follower.memberId, assignment: new Uint8Array([9]) }] : [],
      }),
    );
    await Promise.all(syncs);
    const followerInstance = follower === ja ? 'ia' : 'ib';

    // The follower restarts: unknown member id, same instance id.
    const rejoin = await coordinator.joinGroup(joinReq({ groupInstanceId: followerInstance }));
    assert.equal(rejoin.errorCode, 0);
    assert.equal(rejoin.generationId, 1);
    assert.notEqual(rejoin.memberId, follower.memberId);
    assert.equal(state(coordinator), 'Stable');
    const sync = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: rejoin.memberId,
      groupInstanceId: followerInstance,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    assert.deepEqual([...sync.assignment], [9]);
    // The old incarnation is fenced.
    assert.equal(
      coordinator.heartbeat({
        groupId: 'g',
        generationId: 1,
        memberId: follower.memberId,
        groupInstanceId: followerInstance,
      }),
      ErrorCode.FENCED_INSTANCE_ID,
    );
  });

  it('a static member that leaves by instance id triggers a rebalance', async () => {
    const { coordinator, timer } = setup();
    const a = coordinator.joinGroup(joinReq({ groupInstanceId: 'ia' }));
    timer.advance(1000);
    const ja = await a;
    const r = coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'ia' }]);
    assert.equal(r.members[0]?.errorCode, 0);
    assert.equal(coordinator.group('g')?.members.size, 0);
    assert.equal(
      coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'zz' }]).members[0]?.errorCode,
      25,
    );
    assert.ok(ja.memberId);
  });
});

describe('offsets', () => {
  it('commits and fetches offsets for a member of the current generation', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 1);
    const res = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: g.leader,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: 'm' },
          ],
        },
      ],
    });
    assert.deepEqual(res, [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);
    const f = coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]);
    assert.deepEqual(f.topics[0]?.partitions, [
      { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
      { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    assert.equal(coordinator.fetchOffsets('g', null).topics.length, 1);
  });

  it('rejects commits with Kafka errors: wrong generation, unknown member, unknown group, large metadata', async () => {
    const { coordinator, timer } = setup();
    const g = await stableGroup(coordinator, timer, 1);
    const commit = (groupId: string, memberId: string, generationId: number, apiVersion = 8, metadata = '') =>
      coordinator.commitOffsets({
        groupId,
        generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        apiVersion,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 1,
                committedLeaderEpoch: -1,
                committedMetadata: metadata,
              },
            ],
          },
        ],
      });
    const code = async (p: ReturnType<typeof commit>) => (await p)[0]?.partitions[0]?.errorCode;
    assert.equal(await code(commit('g', g.leader, 5)), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await code(commit('g', 'x', 1)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code(commit('g', '', -1)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code(commit('other', 'x', 1)), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await code(commit('other', 'x', 1, 9)), ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(
      await code(commit('g', g.leader, 1, 8, 'x'.repeat(4097))),
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
    );
    assert.equal(await code(commit('', '', -1)), ErrorCode.INVALID_GROUP_ID);
    // A simple (admin) commit creates an Empty group with no protocol.
    assert.equal(await code(commit('simple', '', -1)), ErrorCode.NONE);
    assert.equal(state(coordinator, 'simple'), 'Empty');
  });

  it('answers UNSTABLE_OFFSET_COMMIT under require_stable while a transaction holds offsets', async () => {
    const { coordinator } = setup();
    await coordinator.commitOffsets({
      groupId: 's',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    coordinator.hasPendingTransactionalOffset = (g, t, p) => g === 's' && t === 't' && p === 0;
    const stable = coordinator.fetchOffsets('s', [{ name: 't', partitionIndexes: [0, 1] }], undefined, true);
    assert.deepEqual(
      stable.topics[0]?.partitions.map((p) => [p.partitionIndex, p.errorCode, p.committedOffset]),
      [
        [0, ErrorCode.UNSTABLE_OFFSET_COMMIT, -1],
        [1, 0, -1],
      ],
    );
    const plain = coordinator.fetchOffsets('s', [{ name: 't', partitionIndexes: [0] }]);
    assert.equal(plain.topics[0]?.partitions[0]?.committedOffset, 5);
  });

  it('answers with the mapped error when the log append fails, and keeps no offset', async () => {
    const { coordinator, log } = setup();
    log.failWith = 6; // NOT_LEADER_OR_FOLLOWER
    const r = await coordinator.commitOffsets({
      groupId: 's',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    assert.equal(r[0]?.partitions[0]?.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(
      coordinator.fetchOffsets('s', [{ name: 't', partitionIndexes: [0] }]).topics[0]?.partitions[0]
        ?.committedOffset,
      -1,
    );
  });

  it('replays __consumer_offsets: offsets and group metadata survive a restart', async () => {
    const { coordinator, timer, log } = setup();
    const g = await stableGroup(coordinator, timer, 2);
    await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: g.leader,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 3, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    });
    await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: g.leader,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 3, committedOffset: 9, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    });
    coordinator.close();

    const timer2 = new ManualTimer(2_000_000);
    const restarted = new GroupCoordinator({ log, timer: timer2, config: { offsetsTopicNumPartitions: 4 } });
    const p = restarted.partitionFor('g');
    restarted.beginLoading([0, 1, 2, 3]);
    assert.equal(
      restarted.heartbeat({ groupId: 'g', generationId: 1, memberId: g.leader, groupInstanceId: null }),
      14,
    );
    assert.equal(restarted.fetchOffsets('g', null).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    for (let i = 0; i < 4; i++) restarted.loadPartition(i, log.partitions.get(i) ?? []);
    assert.equal(p, coordinator.partitionFor('g'));
    assert.equal(
      restarted.fetchOffsets('g', [{ name: 't', partitionIndexes: [3] }]).topics[0]?.partitions[0]
        ?.committedOffset,
      9,
    );
    assert.equal(state(restarted), 'Stable');
    assert.equal(restarted.group('g')?.generationId, 1);
    assert.equal(
      restarted.heartbeat({ groupId: 'g', generationId: 1, memberId: g.leader, groupInstanceId: null }),
      0,
    );
    // Members that never come back expire after their session timeout and the group empties.
    timer2.advance(10_000);
    assert.equal(state(restarted), 'Empty');
    assert.equal(restarted.group('g')?.generationId, 2);
  });

  it('skips unreadable or self-contradicting records at load instead of failing', () => {
    const timer = new ManualTimer();
    const c = new GroupCoordinator({
      log: new MemoryOffsetsLog(),
      timer,
      config: { offsetsTopicNumPartitions: 1 },
    });
    const member = (memberId: string) => ({
      memberId,
      groupInstanceId: 'same-instance',
      clientId: 'c',
      clientHost: 'h',
      rebalanceTimeout: 1000,
      sessionTimeout: 1000,
      subscription: new Uint8Array(),
      assignment: new Uint8Array(),
    });
    c.beginLoading([0]);
    c.loadPartition(0, [
      { key: Buffer.from([0, 2, 0, 1, 0x62]), value: Buffer.from([0, 9]) },
      {
        key: encodeGroupMetadataKey('twice'),
        value: encodeGroupMetadataValue({
          protocolType: 'consumer',
          generation: 1,
          protocol: 'range',
          leader: 'm1',
          currentStateTimestamp: 0,
          members: [member('m1'), member('m2')],
        }),
      },
    ]);
    assert.equal(c.coordinatorError('twice'), ErrorCode.NONE);
    assert.equal(c.group('twice'), undefined);
  });

  it('deletes groups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, then tombstones that survive replay', async () => {
    const { coordinator, timer, log } = setup();
    assert.equal(await coordinator.deleteGroup('missing'), ErrorCode.GROUP_ID_NOT_FOUND);
    const g = await stableGroup(coordinator, timer, 1);
    await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: g.leader,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    });
    assert.equal(await coordinator.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
    coordinator.leaveGroup('g', [{ memberId: g.leader, groupInstanceId: null }]);
    await flush();
    assert.equal(state(coordinator), 'Empty');
    assert.deepEqual(
      coordinator.listGroups(['empty'], []).map((x) => x.groupId),
      ['g'],
    );
    assert.equal(await coordinator.deleteGroup('g'), ErrorCode.NONE);
    assert.equal(coordinator.group('g'), undefined);
    assert.equal(coordinator.describeGroup('g').groupState, 'Dead');

    const again = new GroupCoordinator({
      log,
      timer: new ManualTimer(),
      config: { offsetsTopicNumPartitions: 4 },
    });
    for (let i = 0; i < 4; i++) again.loadPartition(i, log.partitions.get(i) ?? []);
    assert.equal(again.group('g'), undefined);
  });

  it('deletes offsets only for topics the group does not subscribe to', async () => {
    const { coordinator, timer } = setup();
    // A consumer protocol subscription (v0) to topic "t".
    const sub = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 0, 1, 0, 1]),
      Buffer.from('t'),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    ]);
    const { join: pending } = await startJoin(coordinator, { protocols: [{ name: 'range', metadata: sub }] });
    timer.advance(1000);
    const j = await pending;
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    for (const name of ['t', 'u']) {
      await coordinator.commitOffsets({
        groupId: 'g',
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        apiVersion: 8,
        topics: [
          {
            name,
            partitions: [
              { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' },
            ],
          },
        ],
      });
    }
    const r = await coordinator.deleteOffsets('g', [
      { name: 't', partitionIndexes: [0] },
      { name: 'u', partitionIndexes: [0] },
    ]);
    assert.equal(r.errorCode, 0);
    assert.equal(r.topics[0]?.partitions[0]?.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    assert.equal(r.topics[1]?.partitions[0]?.errorCode, 0);
    assert.equal(coordinator.group('g')?.offset('u', 0), undefined);
    assert.equal((await coordinator.deleteOffsets('nope', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('drops committed offsets of deleted topics, durably', async () => {
    const { coordinator, log } = setup();
    for (const name of ['gone', 'kept']) {
      await coordinator.commitOffsets({
        groupId: 'simple',
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        apiVersion: 8,
        topics: [
          {
            name,
            partitions: [
              { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' },
            ],
          },
        ],
      });
    }
    await coordinator.onTopicsDeleted(['gone']);
    assert.deepEqual(
      coordinator.fetchOffsets('simple', null).topics.map((t) => t.name),
      ['kept'],
    );
    const replayed = new GroupCoordinator({
      log,
      timer: new ManualTimer(),
      config: { offsetsTopicNumPartitions: 4 },
    });
    for (let i = 0; i < 4; i++) replayed.loadPartition(i, log.partitions.get(i) ?? []);
    assert.deepEqual(
      replayed.fetchOffsets('simple', null).topics.map((t) => t.name),
      ['kept'],
    );
  });

  it('expires offsets of an empty group after offsets.retention.minutes', async () => {
    const { coordinator, timer } = setup({ offsetsRetentionMs: 60_000 });
    await coordinator.commitOffsets({
      groupId: 'simple',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    });
    timer.advance(30_000);
    assert.equal(await coordinator.expireOffsets(), 0);
    timer.advance(30_000);
    assert.equal(await coordinator.expireOffsets(), 1);
    assert.equal(coordinator.group('simple'), undefined);
  });
});

describe('admin views', () => {
  it('lists groups with state and type filters and describes members', async () => {
    const { coordinator, timer } = setup();
    await stableGroup(coordinator, timer, 2);
    assert.deepEqual(coordinator.listGroups([], []), [
      { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' },
    ]);
    assert.equal(coordinator.listGroups(['Empty'], []).length, 0);
    assert.equal(coordinator.listGroups([], ['consumer']).length, 0);
    assert.equal(coordinator.listGroups([], ['Classic']).length, 1);
    const d = coordinator.describeGroup('g');
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.protocolData, 'range');
    assert.equal(d.members.length, 2);
    assert.equal(coordinator.describeGroup('nothing').groupState, 'Dead');
  });
});
