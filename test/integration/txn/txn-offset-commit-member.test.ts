/**
 * TxnOffsetCommit checks the member it names against the group, as Kafka 4.0's
 * validateTransactionalOffsetCommit does: a consumer-protocol (KIP-848) member must exist and carry
 * its current epoch (a stale one answers ILLEGAL_GENERATION), a missing group accepts only
 * generation -1, and requests without a member (v0-v2 clients such as KafkaJS) pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { call } from '../../helpers/kafka-call.js';
import { RawClient } from '../../helpers/raw-client.js';

const Api = {
  CreateTopics: 19,
  InitProducerId: 22,
  AddOffsetsToTxn: 25,
  TxnOffsetCommit: 28,
  ConsumerGroupHeartbeat: 68,
} as const;

const Err = {
  NONE: 0,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  CONCURRENT_TRANSACTIONS: 51,
} as const;

const TOPIC = 'txn-member-in';
const GROUP = 'txn-member-group';
const MEMBER = 'txn-member-0000000000';

interface ErrorCodeResponse {
  errorCode: number;
}
interface InitProducerIdResponse extends ErrorCodeResponse {
  producerId: number;
  producerEpoch: number;
}
interface TxnOffsetCommitResponse {
  topics: { partitions: { errorCode: number }[] }[];
}

describe('TxnOffsetCommit and the group member it names', () => {
  let broker: BrokerProcess;
  let c: RawClient;
  let producer: InitProducerIdResponse;

  /** Retries while a coordinator loads or the previous transaction completes, as clients do. */
  async function retried<T extends object>(
    apiKey: number,
    version: number,
    body: unknown,
    code: (r: T) => number,
  ) {
    for (let i = 0; ; i++) {
      const r = await call<T>(c, apiKey, version, body);
      assert.ok(r, 'the broker answered');
      const e = code(r);
      if ((e !== Err.COORDINATOR_LOAD_IN_PROGRESS && e !== Err.CONCURRENT_TRANSACTIONS) || i >= 100) return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const commitOffsets = async (groupId: string, memberId: string, generationId: number) => {
    const added = await retried<ErrorCodeResponse>(
      Api.AddOffsetsToTxn,
      3,
      {
        transactionalId: 'txn-member-tx',
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        groupId,
      },
      (r) => r.errorCode,
    );
    assert.equal(added.errorCode, Err.NONE);
    const r = await retried<TxnOffsetCommitResponse>(
      Api.TxnOffsetCommit,
      3,
      {
        transactionalId: 'txn-member-tx',
        groupId,
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        generationId,
        memberId,
        groupInstanceId: null,
        topics: [
          {
            name: TOPIC,
            partitions: [
              { partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: '' },
            ],
          },
        ],
      },
      (x) => x.topics[0]!.partitions[0]!.errorCode,
    );
    return r.topics[0]!.partitions[0]!.errorCode;
  };

  before(async () => {
    broker = await BrokerProcess.start();
    c = await RawClient.connect(broker.port);
    await call(c, Api.CreateTopics, 5, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
    });
    const joined = await retried<ErrorCodeResponse & { memberEpoch: number }>(
      Api.ConsumerGroupHeartbeat,
      1,
      {
        groupId: GROUP,
        memberId: MEMBER,
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: [TOPIC],
        topicPartitions: [],
      },
      (r) => r.errorCode,
    );
    assert.equal(joined.errorCode, Err.NONE);
    assert.equal(joined.memberEpoch, 1);
    producer = await retried<InitProducerIdResponse>(
      Api.InitProducerId,
      4,
      { transactionalId: 'txn-member-tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
      (r) => r.errorCode,
    );
    assert.equal(producer.errorCode, Err.NONE);
  });

  after(async () => {
    c?.destroy();
    await broker?.close();
  });

  it('answers as Kafka 4.0 for members of a consumer-protocol group, and for a missing group', async () => {
    assert.equal(await commitOffsets(GROUP, 'nobody', 1), Err.UNKNOWN_MEMBER_ID);
    assert.equal(await commitOffsets(GROUP, MEMBER, 5), Err.ILLEGAL_GENERATION, 'a stale epoch');
    assert.equal(await commitOffsets(GROUP, MEMBER, 1), Err.NONE);
    assert.equal(await commitOffsets('no-such-group', '', 3), Err.ILLEGAL_GENERATION);
    assert.equal(await commitOffsets('no-such-group', '', -1), Err.NONE, 'a simple (admin-style) commit');
  });
});
