import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangeAssignor, uniformAssignor } from '../../../src/group/assignors.js';
import type { ConsumerGroupHeartbeatRequest } from '../../../src/group/consumer-coordinator.js';
import { fromPartitions } from '../../../src/group/consumer-group.js';
import { GroupCoordinator, type OffsetsLog } from '../../../src/group/coordinator.js';
import { ErrorCode } from '../../../src/group/errors.js';
import type { CoordinatorRecord } from '../../../src/group/records.js';
import { ManualTimer } from '../../../src/group/timer.js';

const log: OffsetsLog = { append: async () => {} };
const topics = new Map([
  ['orders', { topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: 6 }],
  ['audit', { topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitions: 2 }],
]);

function setup() {
  const timer = new ManualTimer(0);
  const c = new GroupCoordinator({
    log,
    timer,
    topics: { byName: (n) => topics.get(n), names: () => topics.keys() },
    config: {
      offsetsTopicNumPartitions: 1,
      consumerSessionTimeoutMs: 10_000,
      consumerHeartbeatIntervalMs: 1000,
    },
  });
  c.loadPartition(0, []);
  return { c, timer };
}

function hb(overrides: Partial<ConsumerGroupHeartbeatRequest>): ConsumerGroupHeartbeatRequest {
  return {
    groupId: 'cg',
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    apiVersion: 1,
    ...overrides,
  };
}

const owned = (p: Map<string, Set<number>> | null) => (p === null ? [] : fromPartitions(p));
const count = (p: Map<string, Set<number>> | null) => owned(p).reduce((n, tp) => n + tp.partitions.length, 0);

describe('consumer group protocol (KIP-848)', () => {
  it('assigns, revokes before reassigning, and converges to an even split with epochs', async () => {
    const { c } = setup();
    const a = await c.consumerGroupHeartbeat(hb({ memberId: 'a' }));
    assert.equal(a.errorCode, 0);
    assert.equal(a.memberEpoch, 1);
    assert.equal(count(a.assignment), 6);
    assert.equal(a.heartbeatIntervalMs, 1000);

    const b = await c.consumerGroupHeartbeat(hb({ memberId: 'b' }));
    assert.equal(b.memberEpoch, 2);
    assert.equal(count(b.assignment), 0, 'b waits until a releases partitions');

    // a must revoke 3 partitions first: its epoch stays until it does.
    const a2 = await c.consumerGroupHeartbeat(
      hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a.assignment) }),
    );
    assert.equal(a2.memberEpoch, 1);
    assert.equal(count(a2.assignment), 3);
    assert.equal(c.describeConsumerGroup('cg').group?.state, 'Reconciling');
    const a3 = await c.consumerGroupHeartbeat(
      hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2.assignment) }),
    );
    assert.equal(a3.memberEpoch, 2);
    assert.equal(count(a3.assignment), 3);

    const b2 = await c.consumerGroupHeartbeat(hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] }));
    assert.equal(count(b2.assignment), 3);
    const all = [...owned(a3.assignment), ...owned(b2.assignment)].flatMap((tp) => tp.partitions).sort();
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5]);
    await c.consumerGroupHeartbeat(
      hb({ memberId: 'b', memberEpoch: 2, topicPartitions: owned(b2.assignment) }),
    );
    assert.equal(c.describeConsumerGroup('cg').group?.state, 'Stable');
    assert.deepEqual(
      c.listGroups([], ['consumer']).map((g) => [g.groupId, g.groupType, g.groupState]),
      [['cg', 'consumer', 'Stable']],
    );
  });

  it('fences bad epochs and rejects invalid requests with Kafka error codes', async () => {
    const { c } = setup();
    const a = await c.consumerGroupHeartbeat(hb({ memberId: 'a' }));
    assert.equal(
      (await c.consumerGroupHeartbeat(hb({ memberId: 'a', memberEpoch: 5, topicPartitions: null })))
        .errorCode,
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
    assert.equal(
      (await c.consumerGroupHeartbeat(hb({ memberId: 'zz', memberEpoch: 1, topicPartitions: null })))
        .errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal((await c.consumerGroupHeartbeat(hb({ groupId: '' }))).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberId: '' }))).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(
      (await c.consumerGroupHeartbeat(hb({ memberId: 'x', serverAssignor: 'sticky' }))).errorCode,
      ErrorCode.UNSUPPORTED_ASSIGNOR,
    );
    assert.equal(
      (await c.consumerGroupHeartbeat(hb({ memberId: 'x', subscribedTopicRegex: '(' }))).errorCode,
      ErrorCode.INVALID_REGULAR_EXPRESSION,
    );
    assert.equal(
      (
        await c.consumerGroupHeartbeat(
          hb({ groupId: 'other', memberId: 'q', memberEpoch: 3, topicPartitions: null }),
        )
      ).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(a.errorCode, 0);
  });

  it('hands a leaving or expired member’s partitions to the others', async () => {
    const { c, timer } = setup();
    await c.consumerGroupHeartbeat(hb({ memberId: 'a' }));
    await c.consumerGroupHeartbeat(hb({ memberId: 'b' }));
    const left = await c.consumerGroupHeartbeat(
      hb({ memberId: 'b', memberEpoch: -1, topicPartitions: null }),
    );
    assert.equal(left.memberEpoch, -1);
    const a = await c.consumerGroupHeartbeat(hb({ memberId: 'a', memberEpoch: 1, topicPartitions: null }));
    assert.equal(count(a.assignment), 6);

    await c.consumerGroupHeartbeat(hb({ memberId: 'c' }));
    timer.advance(10_000); // both sessions run out; a and c never heartbeat again
    assert.equal(c.describeConsumerGroup('cg').group?.members.size, 0);
    assert.equal(c.describeConsumerGroup('cg').group?.state, 'Empty');
  });

  it('checks OffsetCommit against the member epoch', async () => {
    const { c } = setup();
    const a = await c.consumerGroupHeartbeat(hb({ memberId: 'a' }));
    const commit = (memberId: string, generationId: number, apiVersion = 9) =>
      c.commitOffsets({
        groupId: 'cg',
        generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        apiVersion,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      });
    const code = async (p: ReturnType<typeof commit>) => (await p)[0]?.partitions[0]?.errorCode;
    assert.equal(await code(commit('a', a.memberEpoch + 1)), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await code(commit('nobody', a.memberEpoch)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code(commit('a', a.memberEpoch, 8)), ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(await code(commit('a', a.memberEpoch)), ErrorCode.NONE);
    assert.equal(
      c.fetchOffsets('cg', null, { memberId: 'a', memberEpoch: 99 }).errorCode,
      ErrorCode.STALE_MEMBER_EPOCH,
    );
    assert.equal(
      c.fetchOffsets('cg', null, { memberId: 'a', memberEpoch: a.memberEpoch }).topics[0]?.partitions[0]
        ?.committedOffset,
      3,
    );
  });

  it('keeps classic and consumer groups apart under one id', async () => {
    const { c, timer } = setup();
    await c.consumerGroupHeartbeat(hb({ memberId: 'a' }));
    const join = await c.joinGroup({
      groupId: 'cg',
      memberId: '',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array() }],
      clientId: 'c',
      clientHost: 'h',
      requireKnownMemberId: false,
      supportsSkipAssignment: true,
    });
    assert.equal(join.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const pending = c.joinGroup({
      groupId: 'classic',
      memberId: '',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array() }],
      clientId: 'c',
      clientHost: 'h',
      requireKnownMemberId: false,
      supportsSkipAssignment: true,
    });
    timer.advance(5000);
    assert.equal((await pending).errorCode, 0);
    assert.equal(
      (await c.consumerGroupHeartbeat(hb({ groupId: 'classic', memberId: 'z' }))).errorCode,
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
  });
});

describe('consumer group persistence', () => {
  it('replays members, epochs and assignments from __consumer_offsets after a restart', async () => {
    const records: CoordinatorRecord[] = [];
    const memory: OffsetsLog = {
      append: async (_p, rs) => {
        records.push(...rs);
      },
    };
    const make = (timer: ManualTimer) => {
      const c = new GroupCoordinator({
        log: memory,
        timer,
        topics: { byName: (n) => topics.get(n), names: () => topics.keys() },
        config: { offsetsTopicNumPartitions: 1, consumerSessionTimeoutMs: 10_000 },
      });
      return c;
    };
    const c = make(new ManualTimer(0));
    c.loadPartition(0, []);
    const a = await c.consumerGroupHeartbeat(hb({ memberId: 'a', instanceId: 'ia' }));
    const b = await c.consumerGroupHeartbeat(hb({ memberId: 'b' }));
    await c.consumerGroupHeartbeat(
      hb({ memberId: 'a', memberEpoch: a.memberEpoch, topicPartitions: owned(a.assignment) }),
    );
    const gone = await c.consumerGroupHeartbeat(
      hb({ memberId: 'b', memberEpoch: -1, topicPartitions: null }),
    );
    assert.equal(gone.errorCode, 0);
    const before = c.describeConsumerGroup('cg').group;
    assert.ok(before);
    c.close();

    const restarted = make(new ManualTimer(0));
    restarted.loadPartition(0, records);
    const after = restarted.describeConsumerGroup('cg').group;
    assert.ok(after);
    assert.equal(after.groupEpoch, before.groupEpoch);
    assert.equal(after.assignmentEpoch, before.assignmentEpoch);
    assert.deepEqual([...after.members.keys()], ['a']);
    const ma = after.members.get('a');
    assert.equal(ma?.instanceId, 'ia');
    assert.equal(ma?.memberEpoch, before.members.get('a')?.memberEpoch);
    assert.deepEqual(owned(ma?.assigned ?? null), owned(before.members.get('a')?.assigned ?? null));
    assert.equal(b.errorCode, 0);
    // The member carries on with its epoch, no rejoin needed.
    const next = await restarted.consumerGroupHeartbeat(
      hb({ memberId: 'a', memberEpoch: ma?.memberEpoch ?? 0, topicPartitions: owned(ma?.assigned ?? null) }),
    );
    assert.equal(next.errorCode, 0);
    // The subscribed topics' metadata was replayed too: the same subscription is no new epoch.
    assert.equal(next.memberEpoch, ma?.memberEpoch);
    assert.equal(restarted.describeConsumerGroup('cg').group?.groupEpoch, before.groupEpoch);
    // Deleting the empty group leaves nothing behind to replay.
    await restarted.consumerGroupHeartbeat(hb({ memberId: 'a', memberEpoch: -1, topicPartitions: null }));
    assert.equal(await restarted.deleteGroup('cg'), 0);
    const third = make(new ManualTimer(0));
    third.loadPartition(0, records);
    assert.equal(third.describeConsumerGroup('cg').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('ConsumerGroupPartitionMetadata (key version 4)', () => {
  it('is written when the subscribed topics change, replayed, and tombstoned with the group', async () => {
    const records: CoordinatorRecord[] = [];
    const memory: OffsetsLog = {
      append: async (_p, rs) => {
        records.push(...rs);
      },
    };
    const partitions = new Map(topics);
    const make = () =>
      new GroupCoordinator({
        log: memory,
        timer: new ManualTimer(0),
        topics: { byName: (n) => partitions.get(n), names: () => partitions.keys() },
        config: { offsetsTopicNumPartitions: 1, consumerSessionTimeoutMs: 10_000 },
      });
    const both = (o: Partial<ConsumerGroupHeartbeatRequest>) =>
      hb({ subscribedTopicNames: ['orders', 'audit'], ...o });
    const metadataRecords = () => records.filter((r) => r.key[0] === 0 && r.key[1] === 4);
    const c = make();
    c.loadPartition(0, []);
    const a = await c.consumerGroupHeartbeat(both({ memberId: 'a' }));
    assert.equal(metadataRecords().length, 1);
    // Same topics, same sizes: nothing new to write.
    await c.consumerGroupHeartbeat(
      both({ memberId: 'a', memberEpoch: a.memberEpoch, topicPartitions: owned(a.assignment) }),
    );
    assert.equal(metadataRecords().length, 1);
    // A topic grew: new metadata and a new group epoch.
    partitions.set('audit', { topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitions: 3 });
    const grown = await c.consumerGroupHeartbeat(
      both({ memberId: 'a', memberEpoch: a.memberEpoch, topicPartitions: owned(a.assignment) }),
    );
    assert.equal(grown.memberEpoch, a.memberEpoch + 1);
    assert.equal(count(grown.assignment), 9);
    assert.equal(metadataRecords().length, 2);

    const restarted = make();
    restarted.loadPartition(0, records);
    const group = restarted.describeConsumerGroup('cg').group;
    assert.deepEqual(
      group?.subscribedTopics.map((t) => [t.topicName, t.numPartitions]),
      [
        ['orders', 6],
        ['audit', 3],
      ],
    );
    const again = await restarted.consumerGroupHeartbeat(
      both({ memberId: 'a', memberEpoch: grown.memberEpoch, topicPartitions: owned(grown.assignment) }),
    );
    assert.equal(again.memberEpoch, grown.memberEpoch);
    assert.equal(metadataRecords().length, 2, 'an unchanged subscription is not written again');

    await restarted.consumerGroupHeartbeat(both({ memberId: 'a', memberEpoch: -1, topicPartitions: null }));
    assert.equal(await restarted.deleteGroup('cg'), 0);
    assert.equal(metadataRecords().at(-1)?.value, null, 'deleting the group tombstones its metadata');
  });
});

describe('server-side assignors', () => {
  const spec = (members: string[], subscribed: string[] = ['t1', 't2']) => ({
    members: members.map((memberId) => ({ memberId, subscribed: new Set(subscribed), current: new Map() })),
    topics: new Map([
      ['t1', 3],
      ['t2', 4],
    ]),
  });

  it('range splits each topic into consecutive ranges by member id', () => {
    const t = rangeAssignor.assign(spec(['b', 'a']));
    assert.deepEqual([...(t.get('a')?.get('t1') ?? [])], [0, 1]);
    assert.deepEqual([...(t.get('b')?.get('t1') ?? [])], [2]);
    assert.deepEqual([...(t.get('a')?.get('t2') ?? [])], [0, 1]);
    assert.deepEqual([...(t.get('b')?.get('t2') ?? [])], [2, 3]);
  });

  it('uniform balances within one partition and keeps partitions where they are', () => {
    const first = uniformAssignor.assign(spec(['a', 'b', 'c']));
    const sizes = [...first.values()].map((p) => [...p.values()].reduce((n, s) => n + s.size, 0)).sort();
    assert.deepEqual(sizes, [2, 2, 3]);
    // c leaves: a and b keep everything they had.
    const second = uniformAssignor.assign({
      members: ['a', 'b'].map((memberId) => ({
        memberId,
        subscribed: new Set(['t1', 't2']),
        current: first.get(memberId) ?? new Map(),
      })),
      topics: new Map([
        ['t1', 3],
        ['t2', 4],
      ]),
    });
    for (const m of ['a', 'b']) {
      for (const [t, ps] of first.get(m) ?? new Map<string, Set<number>>()) {
        for (const p of ps) assert.ok(second.get(m)?.get(t)?.has(p), `${m} keeps ${t}-${p}`);
      }
    }
  });
});
