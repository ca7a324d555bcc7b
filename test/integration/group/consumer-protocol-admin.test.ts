import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { call } from '../../helpers/kafka-call.js';
import { RawClient } from '../../helpers/raw-client.js';

/**
 * The classic-era group APIs pointed at a consumer-protocol (KIP-848) group, answered as Kafka
 * 4.0's group coordinator answers them.
 */
const Api = {
  OffsetCommit: 8,
  OffsetFetch: 9,
  DescribeGroups: 15,
  ListGroups: 16,
  CreateTopics: 19,
  DeleteGroups: 42,
  OffsetDelete: 47,
  ConsumerGroupHeartbeat: 68,
} as const;

const Err = {
  NONE: 0,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  UNKNOWN_MEMBER_ID: 25,
  UNSUPPORTED_VERSION: 35,
  NON_EMPTY_GROUP: 68,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  STALE_MEMBER_EPOCH: 113,
} as const;

interface HeartbeatResponse {
  errorCode: number;
  memberEpoch: number;
}
interface ListGroupsResponse {
  errorCode: number;
  groups: { groupId: string; protocolType: string; groupState: string; groupType: string }[];
}
interface DescribeGroupsResponse {
  groups: {
    errorCode: number;
    groupId: string;
    groupState: string;
    protocolType: string;
    members: unknown[];
  }[];
}
interface OffsetFetchResponse {
  groups: {
    groupId: string;
    errorCode: number;
    topics: { name: string; partitions: { partitionIndex: number; committedOffset: number }[] }[];
  }[];
}
interface PartitionErrors {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const TOPIC = 'kip848-admin';

describe('consumer-protocol groups through DescribeGroups, ListGroups, DeleteGroups and the offset APIs', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  async function req<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const r = await call<T>(c, apiKey, version, body);
    assert.ok(r, 'the broker answered');
    return r;
  }

  /** ConsumerGroupHeartbeat v1, retried while the coordinator loads (as clients do). */
  async function heartbeat(body: Record<string, unknown>): Promise<HeartbeatResponse> {
    for (let i = 0; ; i++) {
      const r = await req<HeartbeatResponse>(Api.ConsumerGroupHeartbeat, 1, body);
      if (r.errorCode !== Err.COORDINATOR_LOAD_IN_PROGRESS || i >= 100) return r;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const join = (groupId: string, memberId: string, subscription: Record<string, unknown>) =>
    heartbeat({
      groupId,
      memberId,
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      topicPartitions: [],
      ...subscription,
    });

  const commit = (version: number, memberId: string, epoch: number) =>
    req<PartitionErrors>(Api.OffsetCommit, version, {
      groupId: 'cg-admin',
      generationIdOrMemberEpoch: epoch,
      memberId,
      topics: [
        { name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: '' }] },
      ],
    });

  const fetch = async (memberId: string | null, memberEpoch: number) =>
    (
      await req<OffsetFetchResponse>(Api.OffsetFetch, 9, {
        groups: [
          { groupId: 'cg-admin', memberId, memberEpoch, topics: [{ name: TOPIC, partitionIndexes: [0] }] },
        ],
      })
    ).groups[0];

  const listed = async (statesFilter: string[], typesFilter: string[]) =>
    (await req<ListGroupsResponse>(Api.ListGroups, 5, { statesFilter, typesFilter })).groups.filter((g) =>
      g.groupId.startsWith('cg-'),
    );

  before(async () => {
    broker = await BrokerProcess.start();
    c = await RawClient.connect(broker.port);
    const created = await req<{ topics: { errorCode: number }[] }>(Api.CreateTopics, 5, {
      topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
    });
    assert.equal(created.topics[0]?.errorCode, Err.NONE);
  });

  after(async () => {
    c?.destroy();
    await broker?.close();
  });

  it('answers each API as Kafka 4.0 does for a group of the consumer protocol', async () => {
    const joined = await join('cg-admin', 'member-a-0000000000', { subscribedTopicNames: [TOPIC] });
    assert.equal(joined.errorCode, Err.NONE);
    assert.equal(joined.memberEpoch, 1);
    const memberId = 'member-a-0000000000';

    // DescribeGroups (v0-v5) sees classic groups only: Dead, no error, nothing else.
    const described = await req<DescribeGroupsResponse>(Api.DescribeGroups, 5, {
      groups: ['cg-admin'],
      includeAuthorizedOperations: false,
    });
    assert.deepEqual(
      described.groups.map((g) => [g.errorCode, g.groupId, g.groupState, g.protocolType, g.members.length]),
      [[Err.NONE, 'cg-admin', 'Dead', '', 0]],
    );

    // ListGroups v5: type "consumer", protocol type "consumer"; filters are case-insensitive and trimmed.
    const consumerGroup = {
      groupId: 'cg-admin',
      protocolType: 'consumer',
      groupState: 'Stable',
      groupType: 'consumer',
    };
    assert.deepEqual(
      (await listed([], [])).map(({ groupId, protocolType, groupState, groupType }) => ({
        groupId,
        protocolType,
        groupState,
        groupType,
      })),
      [consumerGroup],
    );
    assert.equal((await listed([], ['Consumer'])).length, 1);
    assert.equal((await listed([], ['classic'])).length, 0);
    assert.equal((await listed([' STABLE '], [])).length, 1);
    assert.equal((await listed(['empty'], [])).length, 0);

    // OffsetCommit: v9 with the member's epoch; another epoch is stale; before v9 the member cannot commit.
    assert.equal((await commit(9, memberId, 1)).topics[0]?.partitions[0]?.errorCode, Err.NONE);
    assert.equal((await commit(9, memberId, 2)).topics[0]?.partitions[0]?.errorCode, Err.STALE_MEMBER_EPOCH);
    assert.equal((await commit(8, memberId, 1)).topics[0]?.partitions[0]?.errorCode, Err.UNSUPPORTED_VERSION);
    assert.equal((await commit(9, 'nobody', 1)).topics[0]?.partitions[0]?.errorCode, Err.UNKNOWN_MEMBER_ID);

    // OffsetFetch v9: only "no member id and a negative epoch" skips the member check.
    const asAdmin = await fetch(null, -1);
    assert.equal(asAdmin?.errorCode, Err.NONE);
    assert.equal(asAdmin?.topics[0]?.partitions[0]?.committedOffset, 42);
    assert.equal((await fetch(memberId, 1))?.topics[0]?.partitions[0]?.committedOffset, 42);
    assert.equal((await fetch(memberId, 2))?.errorCode, Err.STALE_MEMBER_EPOCH);
    assert.equal((await fetch(memberId, -1))?.errorCode, Err.STALE_MEMBER_EPOCH);
    assert.equal((await fetch(null, 1))?.errorCode, Err.UNKNOWN_MEMBER_ID);
    assert.equal((await fetch('nobody', 1))?.errorCode, Err.UNKNOWN_MEMBER_ID);

    // A group with members cannot be deleted, and its subscribed topics' offsets stay.
    const deleteGroup = async () =>
      (await req<{ results: { errorCode: number }[] }>(Api.DeleteGroups, 2, { groupsNames: ['cg-admin'] }))
        .results[0]?.errorCode;
    assert.equal(await deleteGroup(), Err.NON_EMPTY_GROUP);
    const offsetDelete = async (groupId: string) =>
      (
        await req<PartitionErrors>(Api.OffsetDelete, 0, {
          groupId,
          topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }],
        })
      ).topics[0]?.partitions[0]?.errorCode;
    assert.equal(await offsetDelete('cg-admin'), Err.GROUP_SUBSCRIBED_TO_TOPIC);

    // Once the last member left the group is Empty, and deleting it removes it from every view.
    const left = await heartbeat({ groupId: 'cg-admin', memberId, memberEpoch: -1 });
    assert.equal(left.errorCode, Err.NONE);
    assert.deepEqual(
      (await listed(['Empty'], ['consumer'])).map((g) => g.groupId),
      ['cg-admin'],
    );
    assert.equal(await deleteGroup(), Err.NONE);
    assert.equal((await listed([], [])).length, 0);
    assert.equal((await fetch(null, -1))?.topics[0]?.partitions[0]?.committedOffset, -1);
  });

  it('refuses OffsetDelete for a topic a member subscribes to by regular expression', async () => {
    const joined = await join('cg-regex', 'member-r-0000000000', { subscribedTopicRegex: 'kip848-.*' });
    assert.equal(joined.errorCode, Err.NONE);
    const result = await req<PartitionErrors>(Api.OffsetDelete, 0, {
      groupId: 'cg-regex',
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1 }] }],
    });
    assert.equal(result.topics[0]?.partitions[0]?.errorCode, Err.GROUP_SUBSCRIBED_TO_TOPIC);
  });
});
