/**
 * Request bodies written by an independent implementation — KafkaJS's own request encoders
 * (node_modules/kafkajs/src/protocol/requests) — decode with the generated decoders into the
 * fields that were put in, with no bytes left over. Covers the consumer-group, fetch and
 * transactional paths at the classic versions KafkaJS speaks.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { messageSchemas } from '../../src/protocol/generated/schemas.js';
import { Reader } from '../../src/protocol/reader.js';

const require = createRequire(import.meta.url);
const requestsDir = join(dirname(require.resolve('kafkajs')), 'src', 'protocol', 'requests');

interface KafkaJsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}

async function encodeWithKafkaJs(path: string, args: unknown): Promise<KafkaJsRequest & { body: Buffer }> {
  const make = require(join(requestsDir, path, 'request.js')) as (a: unknown) => KafkaJsRequest;
  const req = make(args);
  const body = (await req.encode()).buffer;
  return Object.assign(req, { body });
}

function decodeOurs(apiKey: number, version: number, body: Buffer): Record<string, unknown> {
  const m = messageSchemas.find((s) => s.kind === 'request' && s.apiKey === apiKey);
  assert.ok(m, `request schema for api ${apiKey}`);
  const r = new Reader(body);
  const value = m.decode(r, version) as Record<string, unknown>;
  assert.equal(r.remaining(), 0, `${m.name} v${version}: ${r.remaining()} bytes left`);
  return value;
}

/** Asserts `expected` is a subset of `actual` (numbers, strings, nested objects and arrays). */
function assertSubset(actual: unknown, expected: unknown, path = ''): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is an array`);
    assert.equal(actual.length, expected.length, `${path}.length`);
    expected.forEach((e, i) => {
      assertSubset(actual[i], e, `${path}[${i}]`);
    });
  } else if (Buffer.isBuffer(expected)) {
    assert.ok(Buffer.isBuffer(actual) && actual.equals(expected), `${path} bytes`);
  } else if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected))
      assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

const cases: { path: string; args: unknown; expect: unknown }[] = [
  {
    path: 'fetch/v11',
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1_048_576,
      isolationLevel: 1,
      sessionId: 7,
      sessionEpoch: 3,
      rackId: 'rack-a',
      topics: [{ topic: 'golden', partitions: [{ partition: 2, fetchOffset: '12345', maxBytes: 65536 }] }],
      forgottenTopics: [{ topic: 'old', partitions: [0, 1] }],
    },
    expect: {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1_048_576,
      isolationLevel: 1,
      sessionId: 7,
      sessionEpoch: 3,
      rackId: 'rack-a',
      topics: [
        {
          topic: 'golden',
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: -1,
              fetchOffset: 12345,
              logStartOffset: -1,
              partitionMaxBytes: 65536,
            },
          ],
        },
      ],
      forgottenTopicsData: [{ topic: 'old', partitions: [0, 1] }],
    },
  },
  {
    path: 'listOffsets/v3',
    args: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'golden', partitions: [{ partition: 0, timestamp: -2 }] }],
    },
    expect: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: 'golden', partitions: [{ partitionIndex: 0, timestamp: -2 }] }],
    },
  },
  {
    path: 'findCoordinator/v2',
    args: { coordinatorKey: 'group-1', coordinatorType: 0 },
    expect: { key: 'group-1', keyType: 0 },
  },
  {
    path: 'joinGroup/v5',
    args: {
      groupId: 'group-1',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2, 3]) }],
    },
    expect: {
      groupId: 'group-1',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2, 3]) }],
    },
  },
  {
    path: 'syncGroup/v3',
    args: {
      groupId: 'group-1',
      generationId: 4,
      memberId: 'm-1',
      groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('assignment') }],
    },
    expect: {
      groupId: 'group-1',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: null,
      assignments: [{ memberId: 'm-1', assignment: Buffer.from('assignment') }],
    },
  },
  {
    path: 'heartbeat/v3',
    args: { groupId: 'group-1', groupGenerationId: 4, memberId: 'm-1', groupInstanceId: null },
    expect: { groupId: 'group-1', generationId: 4, memberId: 'm-1', groupInstanceId: null },
  },
  {
    path: 'offsetCommit/v5',
    args: {
      groupId: 'group-1',
      groupGenerationId: 4,
      memberId: 'm-1',
      topics: [{ topic: 'golden', partitions: [{ partition: 0, offset: '42', metadata: null }] }],
    },
    expect: {
      groupId: 'group-1',
      generationIdOrMemberEpoch: 4,
      memberId: 'm-1',
      topics: [
        { name: 'golden', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] },
      ],
    },
  },
  {
    path: 'offsetFetch/v4',
    args: {
      groupId: 'group-1',
      topics: [{ topic: 'golden', partitions: [{ partition: 0 }, { partition: 1 }] }],
    },
    expect: { groupId: 'group-1', topics: [{ name: 'golden', partitionIndexes: [0, 1] }] },
  },
  {
    path: 'leaveGroup/v3',
    args: { groupId: 'group-1', members: [{ memberId: 'm-1' }] },
    expect: { groupId: 'group-1', members: [{ memberId: 'm-1', groupInstanceId: null }] },
  },
  {
    path: 'initProducerId/v1',
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    expect: { transactionalId: 'tx-1', transactionTimeoutMs: 60000 },
  },
  {
    path: 'addPartitionsToTxn/v1',
    args: {
      transactionalId: 'tx-1',
      producerId: '1000',
      producerEpoch: 2,
      topics: [{ topic: 'golden', partitions: [0, 3] }],
    },
    expect: {
      v3AndBelowTransactionalId: 'tx-1',
      v3AndBelowProducerId: 1000,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [{ name: 'golden', partitions: [0, 3] }],
    },
  },
  {
    path: 'endTxn/v1',
    args: { transactionalId: 'tx-1', producerId: '1000', producerEpoch: 2, transactionResult: true },
    expect: { transactionalId: 'tx-1', producerId: 1000, producerEpoch: 2, committed: true },
  },
  {
    path: 'createTopics/v3',
    args: {
      topics: [
        {
          topic: 'new-topic',
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      validateOnly: false,
      timeout: 5000,
    },
    expect: {
      topics: [
        {
          name: 'new-topic',
          numPartitions: 3,
          replicationFactor: 1,
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    },
  },
  {
    path: 'describeConfigs/v2',
    args: { resources: [{ type: 2, name: 'golden', configNames: ['retention.ms'] }], includeSynonyms: true },
    expect: {
      resources: [{ resourceType: 2, resourceName: 'golden', configurationKeys: ['retention.ms'] }],
      includeSynonyms: true,
    },
  },
];

describe('KafkaJS request encoders → generated decoders', () => {
  for (const c of cases) {
    it(c.path, async () => {
      const req = await encodeWithKafkaJs(c.path, c.args);
      const value = decodeOurs(req.apiKey, req.apiVersion, req.body);
      assertSubset(value, c.expect, c.path);
    });
  }
});
