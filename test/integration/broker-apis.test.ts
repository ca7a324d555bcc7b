import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZERO_UUID } from '../../src/cluster/uuid.js';
import { ErrorCode } from '../../src/errors.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.js';
import type { DeleteRecordsResponse } from '../../src/protocol/generated/delete-records-response.js';
import type { DeleteTopicsResponse } from '../../src/protocol/generated/delete-topics-response.js';
import type { DescribeClusterResponse } from '../../src/protocol/generated/describe-cluster-response.js';
import type { DescribeConfigsResponse } from '../../src/protocol/generated/describe-configs-response.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/describe-log-dirs-response.js';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.js';
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/generated/incremental-alter-configs-response.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.js';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.js';
import type { OffsetForLeaderEpochResponse } from '../../src/protocol/generated/offset-for-leader-epoch-response.js';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.js';
import { buildBatchSync } from '../../src/protocol/records/builder.js';
import { BrokerProcess } from '../helpers/broker.js';
import { call } from '../helpers/kafka-call.js';
import { RawClient } from '../helpers/raw-client.js';

const API = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  DescribeLogDirs: 35,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  DescribeCluster: 60,
} as const;

describe('broker APIs over the wire (generated codecs)', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: { 'auto.create.topics.enable': 'false' } });
    c = await RawClient.connect(broker.port);
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  const createTopic = async (name: string, numPartitions = 1) => {
    const r = await call<CreateTopicsResponse>(c, API.CreateTopics, 7, {
      topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(r!.topics[0]!.errorCode, ErrorCode.NONE);
    return r!.topics[0]!;
  };

  const produce = async (topic: string, partition: number, values: string[], version = 9) => {
    const records = buildBatchSync(values.map((v) => ({ value: v })));
    const r = await call<ProduceResponse>(c, API.Produce, version, {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    return r!.responses[0]!.partitionResponses[0]!;
  };

  it('ApiVersions announces Produce from v0 (KAFKA-18659) and the Kafka 4.0 floors', async () => {
    const r = await call<ApiVersionsResponse>(c, API.ApiVersions, 3, {
      clientSoftwareName: 'gregor-test',
      clientSoftwareVersion: '1.0',
    });
    const ranges = new Map(r!.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    assert.deepEqual(ranges.get(API.Produce), [0, 11]);
    assert.deepEqual(ranges.get(API.Fetch), [4, 17]);
    assert.deepEqual(ranges.get(API.ListOffsets), [1, 10]);
    assert.deepEqual(ranges.get(API.CreateTopics), [2, 7]);
    // The rest of Kafka 4.0's floors (KIP-896); Metadata, JoinGroup, FindCoordinator and DeleteGroups keep v0.
    assert.deepEqual(ranges.get(API.OffsetCommit), [2, 9]);
    assert.deepEqual(ranges.get(API.OffsetFetch), [1, 9]);
    assert.deepEqual(ranges.get(API.Metadata), [0, 12]);
    assert.deepEqual(ranges.get(API.DeleteTopics), [1, 6]);
    assert.deepEqual(ranges.get(API.DescribeConfigs), [1, 4]);
    assert.deepEqual(ranges.get(API.DescribeLogDirs), [1, 4]);
    assert.deepEqual(ranges.get(API.OffsetForLeaderEpoch), [2, 4]);
    assert.equal(ranges.get(API.JoinGroup)?.[0], 0);
    assert.equal(ranges.get(API.FindCoordinator)?.[0], 0);
    assert.equal(ranges.get(API.DeleteGroups)?.[0], 0);
    assert.deepEqual(ranges.get(27), [1, 1], 'WriteTxnMarkers');
    assert.deepEqual(ranges.get(API.ApiVersions), [0, 4]);
    const bad = await call<ApiVersionsResponse>(c, API.ApiVersions, 3, {
      clientSoftwareName: '-bad name-',
      clientSoftwareVersion: '1.0',
    });
    assert.equal(bad!.errorCode, ErrorCode.INVALID_REQUEST);
  });

  it('CreateTopics: validate_only, manual assignment, bad name, bad replication factor, duplicates', async () => {
    const r = await call<CreateTopicsResponse>(c, API.CreateTopics, 7, {
      topics: [
        { name: 'v-only', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
        {
          name: 'manual',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [1] },
            { partitionIndex: 1, brokerIds: [1] },
          ],
          configs: [],
        },
        { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        {
          name: 'badcfg',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'no.such', value: 'x' }],
        },
        { name: 'dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: true,
    });
    const codes = r!.topics.map((t) => [t.name, t.errorCode]);
    assert.deepEqual(codes, [
      ['v-only', ErrorCode.NONE],
      ['manual', ErrorCode.NONE],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['rf3', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['badcfg', ErrorCode.INVALID_CONFIG],
      ['dup', ErrorCode.INVALID_REQUEST],
      ['dup', ErrorCode.INVALID_REQUEST],
    ]);
    assert.equal(r!.topics[1]!.numPartitions, 2);
    const meta = await call<MetadataResponse>(c, API.Metadata, 12, {
      topics: [{ topicId: ZERO_UUID, name: 'v-only' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(
      meta!.topics[0]!.errorCode,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'validate_only created nothing',
    );
    const again = await createTopic('exists-once');
    assert.notEqual(again.topicId, ZERO_UUID);
    const dup = await call<CreateTopicsResponse>(c, API.CreateTopics, 7, {
      topics: [{ name: 'exists-once', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(dup!.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  });

  it('Metadata: topic ids, lookup by id, no auto-creation when disabled', async () => {
    const created = await createTopic('meta-t', 2);
    const byName = await call<MetadataResponse>(c, API.Metadata, 12, {
      topics: [{ topicId: ZERO_UUID, name: 'meta-t' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    const t = byName!.topics[0]!;
    assert.equal(t.topicId, created.topicId);
    assert.equal(t.partitions.length, 2);
    assert.deepEqual(
      byName!.brokers.map((b) => [b.nodeId, b.port]),
      [[1, broker.port]],
    );
    const byId = await call<MetadataResponse>(c, API.Metadata, 12, {
      topics: [{ topicId: created.topicId, name: null }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(byId!.topics[0]!.name, 'meta-t');
    const missing = await call<MetadataResponse>(c, API.Metadata, 12, {
      topics: [{ topicId: ZERO_UUID, name: 'never-made' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(missing!.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Produce: offsets, unknown partition, corrupt batch, oversized batch after a dynamic message.max.bytes', async () => {
    await createTopic('prod-t');
    assert.deepEqual([(await produce('prod-t', 0, ['a', 'b'])).baseOffset], [0]);
    assert.equal((await produce('prod-t', 0, ['c'])).baseOffset, 2);
    assert.equal((await produce('prod-t', 7, ['x'])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const records = buildBatchSync([{ value: 'corrupt me' }]);
    records[records.length - 1]! ^= 0xff;
    const bad = await call<ProduceResponse>(c, API.Produce, 9, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'prod-t', partitionData: [{ index: 0, records }] }],
    });
    assert.equal(bad!.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
    const alter = await call<IncrementalAlterConfigsResponse>(c, API.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 4,
          resourceName: '1',
          configs: [{ name: 'message.max.bytes', configOperation: 0, value: '200' }],
        },
      ],
      validateOnly: false,
    });
    assert.equal(alter!.responses[0]!.errorCode, ErrorCode.NONE);
    await createTopic('prod-small');
    const big = await produce('prod-small', 0, ['x'.repeat(500)]);
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    const described = await call<DescribeConfigsResponse>(c, API.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'prod-small', configurationKeys: ['max.message.bytes'] }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    const entry = described!.results[0]!.configs[0]!;
    assert.equal(entry.value, '200');
    assert.equal(entry.configSource, 2, 'DYNAMIC_BROKER_CONFIG');
    // Put the default back for the other tests.
    await call(c, API.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 4,
          resourceName: '1',
          configs: [{ name: 'message.max.bytes', configOperation: 1, value: null }],
        },
      ],
      validateOnly: false,
    });
  });

  it('AlterConfigs and IncrementalAlterConfigs refuse a resource named twice, and change nothing', async () => {
    await createTopic('alter-dup');
    const twice = (value: string) => [
      {
        resourceType: 2,
        resourceName: 'alter-dup',
        configs: [{ name: 'retention.ms', configOperation: 0, value }],
      },
      {
        resourceType: 2,
        resourceName: 'alter-dup',
        configs: [{ name: 'retention.ms', configOperation: 0, value }],
      },
    ];
    const incremental = await call<IncrementalAlterConfigsResponse>(c, API.IncrementalAlterConfigs, 1, {
      resources: twice('1000'),
      validateOnly: false,
    });
    assert.deepEqual(
      incremental!.responses.map((r) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
    );
    const legacy = await call<{ responses: Array<{ errorCode: number }> }>(c, 33, 2, {
      resources: twice('2000').map((r) => ({
        ...r,
        configs: r.configs.map(({ name, value }) => ({ name, value })),
      })),
      validateOnly: false,
    });
    assert.deepEqual(
      legacy!.responses.map((r) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
    );
    const described = await call<DescribeConfigsResponse>(c, API.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'alter-dup', configurationKeys: ['retention.ms'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    assert.equal(described!.results[0]!.configs[0]!.value, '604800000');
  });

  it('Fetch: incremental sessions (KIP-227) answer only partitions with news', async () => {
    await createTopic('sess-t', 2);
    await produce('sess-t', 0, ['p0-a']);
    await produce('sess-t', 1, ['p1-a']);
    const partitions = [0, 1].map((partition) => ({
      partition,
      currentLeaderEpoch: -1,
      fetchOffset: 0,
      lastFetchedEpoch: -1,
      logStartOffset: -1,
      partitionMaxBytes: 1 << 20,
    }));
    const full = await call<FetchResponse>(c, API.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: 0,
      topics: [{ topic: 'sess-t', partitions }],
      forgottenTopicsData: [],
      rackId: '',
    });
    assert.equal(full!.errorCode, ErrorCode.NONE);
    assert.notEqual(full!.sessionId, 0, 'a session was created');
    assert.equal(full!.responses[0]!.partitions.length, 2);
    const sessionId = full!.sessionId;
    const incremental = (epoch: number, topics: unknown[] = []) =>
      call<FetchResponse>(c, API.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId,
        sessionEpoch: epoch,
        topics,
        forgottenTopicsData: [],
        rackId: '',
      });
    // Both fetch offsets move past their records; nothing else changed.
    const quiet = await incremental(1, [
      { topic: 'sess-t', partitions: partitions.map((p) => ({ ...p, fetchOffset: 1 })) },
    ]);
    assert.equal(quiet!.responses.length, 0, 'nothing new to report');
    await produce('sess-t', 1, ['p1-b']);
    const news = await incremental(2);
    assert.deepEqual(
      news!.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.highWatermark])),
      [[1, 2]],
    );
    const stale = await incremental(2);
    assert.equal(stale!.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await call<FetchResponse>(c, API.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 12345,
      sessionEpoch: 5,
      topics: [],
      forgottenTopicsData: [],
      rackId: '',
    });
    assert.equal(unknown!.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('Fetch: OFFSET_OUT_OF_RANGE; ListOffsets earliest/latest/max timestamp; DeleteRecords moves the start', async () => {
    await createTopic('del-t');
    await produce('del-t', 0, ['a', 'b', 'c']);
    await produce('del-t', 0, ['d', 'e']);
    const out = await call<FetchResponse>(c, API.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'del-t',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 99,
              logStartOffset: -1,
              partitionMaxBytes: 1024,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    assert.equal(out!.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    const list = async (timestamp: number) => {
      const r = await call<ListOffsetsResponse>(c, API.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'del-t', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      });
      return r!.topics[0]!.partitions[0]!;
    };
    assert.equal((await list(-2)).offset, 0);
    assert.equal((await list(-1)).offset, 5);
    assert.equal((await list(-3)).errorCode, ErrorCode.NONE);
    const del = await call<DeleteRecordsResponse>(c, API.DeleteRecords, 2, {
      topics: [{ name: 'del-t', partitions: [{ partitionIndex: 0, offset: 3 }] }],
      timeoutMs: 1000,
    });
    assert.equal(del!.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(del!.topics[0]!.partitions[0]!.lowWatermark, 3);
    assert.equal((await list(-2)).offset, 3);
    const beyond = await call<DeleteRecordsResponse>(c, API.DeleteRecords, 2, {
      topics: [{ name: 'del-t', partitions: [{ partitionIndex: 0, offset: 50 }] }],
      timeoutMs: 1000,
    });
    assert.equal(beyond!.topics[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('DescribeCluster, DescribeLogDirs, OffsetForLeaderEpoch', async () => {
    const cluster = await call<DescribeClusterResponse>(c, API.DescribeCluster, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    assert.equal(cluster!.errorCode, ErrorCode.NONE);
    assert.equal(cluster!.controllerId, 1);
    assert.deepEqual(
      cluster!.brokers.map((b) => [b.brokerId, b.port]),
      [[1, broker.port]],
    );
    const controllers = await call<DescribeClusterResponse>(c, API.DescribeCluster, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2,
    });
    assert.equal(controllers!.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE);

    await createTopic('dirs-t');
    await produce('dirs-t', 0, ['x', 'y']);
    const dirs = await call<DescribeLogDirsResponse>(c, API.DescribeLogDirs, 4, {
      topics: [{ topic: 'dirs-t', partitions: [0] }],
    });
    const result = dirs!.results[0]!;
    assert.equal(result.logDir, broker.dataDir);
    assert.ok(result.topics[0]!.partitions[0]!.partitionSize > 0);

    const epochs = await call<OffsetForLeaderEpochResponse>(c, API.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [{ topic: 'dirs-t', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }],
    });
    const p = epochs!.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.endOffset, 2);
    const fenced = await call<OffsetForLeaderEpochResponse>(c, API.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [{ topic: 'dirs-t', partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 0 }] }],
    });
    assert.equal(fenced!.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it('DeleteTopics by id and by name', async () => {
    const a = await createTopic('gone-by-id');
    await createTopic('gone-by-name');
    const r = await call<DeleteTopicsResponse>(c, API.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: a.topicId },
        { name: 'gone-by-name', topicId: ZERO_UUID },
        { name: 'never-was', topicId: ZERO_UUID },
      ],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      r!.responses.map((t) => [t.name, t.errorCode]),
      [
        ['gone-by-id', ErrorCode.NONE],
        ['gone-by-name', ErrorCode.NONE],
        ['never-was', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
  });
});
