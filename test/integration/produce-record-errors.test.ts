import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.js';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.js';
import { buildBatchSync, type RecordInput } from '../../src/protocol/records/builder.js';
import type { CompressionName } from '../../src/protocol/records/compression.js';
import { BrokerProcess } from '../helpers/broker.js';
import { call } from '../helpers/kafka-call.js';
import { RawClient } from '../helpers/raw-client.js';

const PRODUCE = 0;
const CREATE_TOPICS = 19;

describe('Produce record_errors: keyless records on a compacted topic (Kafka LogValidator.validateKey)', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start();
    c = await RawClient.connect(broker.port);
    const r = await call<CreateTopicsResponse>(c, CREATE_TOPICS, 7, {
      topics: ['compact', 'compact,delete', 'delete'].map((policy) => ({
        name: `t-${policy.replace(',', '-')}`,
        numPartitions: 2,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'cleanup.policy', value: policy }],
      })),
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.deepEqual(
      r!.topics.map((t) => t.errorCode),
      [0, 0, 0],
    );
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  const produce = async (
    topic: string,
    records: RecordInput[],
    compression: CompressionName = 'none',
    version = 9,
  ) => {
    const r = await call<ProduceResponse>(c, PRODUCE, version, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: topic, partitionData: [{ index: 1, records: buildBatchSync(records, { compression }) }] },
      ],
    });
    return r!.responses[0]!.partitionResponses[0]!;
  };

  const mixed: RecordInput[] = [
    { key: 'a', value: '0' },
    { key: null, value: '1' },
    { key: 'b', value: '2' },
    { key: null, value: '3' },
    { key: '', value: '4' },
    { key: null, value: null },
  ];

  for (const [topic, compression] of [
    ['t-compact', 'none'],
    ['t-compact', 'gzip'],
    ['t-compact-delete', 'none'],
    ['t-compact-delete', 'lz4'],
  ] as const) {
    it(`${topic}, ${compression}: INVALID_RECORD, one record error per keyless record, nothing appended`, async () => {
      const before = await produce(topic, [{ key: 'k', value: 'ok' }], compression);
      assert.equal(before.errorCode, ErrorCode.NONE);
      const p = await produce(topic, mixed, compression);
      assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
      assert.equal(p.baseOffset, -1);
      const message = `Compacted topic cannot accept message without key in topic partition ${topic}-1.`;
      assert.deepEqual(
        p.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]),
        [
          [1, message],
          [3, message],
          [5, message],
        ],
      );
      assert.match(
        p.errorMessage ?? '',
        /^One or more records have been rejected due to 3 record errors in total, and only showing the first three errors at most: \[RecordError\(batchIndex=1, /,
      );
      // Nothing of the rejected batch was appended: the next record follows the one before it.
      const after = await produce(topic, [{ key: 'k', value: 'ok' }], compression);
      assert.equal(after.errorCode, ErrorCode.NONE);
      assert.equal(after.baseOffset, before.baseOffset + 1);
    });
  }

  it('a compacted topic takes records that all have keys (an empty key is a key)', async () => {
    const p = await produce('t-compact', [
      { key: 'a', value: '0' },
      { key: '', value: '1' },
      { key: 'c', value: null },
    ]);
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.deepEqual(p.recordErrors, []);
  });

  it('a delete-only topic takes keyless records (no per-record check there)', async () => {
    const p = await produce('t-delete', mixed, 'gzip');
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.deepEqual(p.recordErrors, []);
  });

  it('Produce v7 (before record_errors existed) gets INVALID_RECORD alone', async () => {
    const p = await produce('t-compact', mixed, 'none', 7);
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(p.recordErrors, []);
  });
});
