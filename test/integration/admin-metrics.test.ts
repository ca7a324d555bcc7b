import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { parseAdminListener } from '../../src/admin/server.js';
import { ErrorCode } from '../../src/errors.js';
import { type RunningBroker, startBroker } from '../../src/index.js';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.js';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.js';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.js';
import { buildBatchSync } from '../../src/protocol/records/builder.js';
import { call } from '../helpers/kafka-call.js';
import { RawClient } from '../helpers/raw-client.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** Parses Prometheus text into `name{labels}` → value (labels as written, in order). */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('admin server: /metrics, /health, /ready', () => {
  let broker: RunningBroker;
  let kafka: InstanceType<typeof Kafka>;

  before(async () => {
    broker = await startBroker({
      topics: [{ name: 'clicks', partitions: 2 }],
      config: { 'admin.listener': '127.0.0.1:0', 'offsets.topic.num.partitions': 2 },
    });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await broker.close();
  });

  it('answers /health and /ready, 404 elsewhere, 405 for POST', async () => {
    assert.match(broker.adminUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await get(`${broker.adminUrl}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    const ready = await get(`${broker.adminUrl}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: 'ready' });
    assert.equal((await get(`${broker.adminUrl}/nope`)).status, 404);
    const post = await fetch(`${broker.adminUrl}/metrics`, { method: 'POST' });
    await post.text();
    assert.equal(post.status, 405);
  });

  it('counts what a real client produced and consumed, and the consumer lag', async () => {
    const producer = kafka.producer();
    await producer.connect();
    // 3 requests: 5 + 3 records to partition 0, 4 records to partition 1.
    await producer.send({
      topic: 'clicks',
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `a${i}`, partition: 0 })),
    });
    await producer.send({
      topic: 'clicks',
      messages: Array.from({ length: 3 }, (_, i) => ({ value: `b${i}`, partition: 0 })),
    });
    await producer.send({
      topic: 'clicks',
      messages: Array.from({ length: 4 }, (_, i) => ({ value: `c${i}`, partition: 1 })),
    });
    await producer.disconnect();

    // A consumer reads partition 0's 8 records and commits; partition 1 stays unread.
    const consumer = kafka.consumer({ groupId: 'readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'clicks', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((res, rej) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (partition !== 0) return;
            seen++;
            if (seen === 8) {
              await consumer.commitOffsets([
                { topic: 'clicks', partition: 0, offset: String(Number(message.offset) + 1) },
              ]);
              res();
            }
          },
        })
        .catch(rej);
    });
    // Partition 1 gets a commit at offset 1: lag 3.
    await consumer.commitOffsets([{ topic: 'clicks', partition: 1, offset: '1' }]);

    const res = await get(`${broker.adminUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(res.body);
    assert.equal(m.get('kafka_server_brokertopicmetrics_messagesin_total{topic="clicks"}'), 12);
    assert.ok(m.get('kafka_server_brokertopicmetrics_bytesin_total{topic="clicks"}')! > 12 * 2);
    assert.ok(m.get('kafka_server_brokertopicmetrics_bytesout_total{topic="clicks"}')! > 0);
    // Partition 0's 8 records were sent to the consumer at least once (partition 1's 4 too, unread).
    assert.ok(m.get('kafka_server_brokertopicmetrics_messagesout_total{topic="clicks"}')! >= 8);
    assert.equal(m.get('kafka_server_brokertopicmetrics_totalproducerequests_total{topic="clicks"}'), 3);
    assert.equal(m.get('kafka_server_brokertopicmetrics_failedproducerequests_total{topic="clicks"}'), 0);
    assert.equal(m.get('kafka_network_requestmetrics_requests_total{request="Produce"}'), 3);
    assert.ok(m.get('kafka_network_requestmetrics_requests_total{request="Fetch"}')! >= 1);
    assert.ok(m.get('kafka_network_requestmetrics_requests_total{request="Metadata"}')! >= 1);
    assert.equal(m.get('kafka_network_requestmetrics_totaltimems_count{request="Produce"}'), 3);
    assert.equal(m.get('kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="+Inf"}'), 3);
    assert.ok(m.get('kafka_network_requestmetrics_totaltimems_sum{request="Produce"}')! > 0);
    assert.equal(m.get('kafka_log_log_logendoffset{topic="clicks",partition="0"}'), 8);
    assert.equal(m.get('kafka_log_log_logendoffset{topic="clicks",partition="1"}'), 4);
    assert.equal(m.get('kafka_controller_kafkacontroller_globaltopiccount'), 2); // clicks, __consumer_offsets
    assert.equal(m.get('kafka_controller_kafkacontroller_globalpartitioncount'), 4);
    assert.equal(m.get('kafka_server_replicamanager_partitioncount'), 4);
    assert.equal(m.get('kafka_coordinator_group_groupmetadatamanager_numgroups'), 1);
    assert.equal(
      m.get('kafka_consumergroup_current_offset{consumergroup="readers",topic="clicks",partition="0"}'),
      8,
    );
    assert.equal(m.get('kafka_consumergroup_lag{consumergroup="readers",topic="clicks",partition="0"}'), 0);
    assert.equal(m.get('kafka_consumergroup_lag{consumergroup="readers",topic="clicks",partition="1"}'), 3);
    assert.ok(m.get('kafka_server_socketservermetrics_connection_count{listener="PLAINTEXT"}')! >= 1);
    assert.ok(m.get('process_resident_memory_bytes')! > 0);
    assert.equal(m.get('gregor_broker_up'), 1);
    await consumer.disconnect();

    // Every sample line is well-formed: name{labels} value, and each family is declared once.
    const types = res.body.split('\n').filter((l) => l.startsWith('# TYPE '));
    assert.equal(new Set(types).size, types.length);
    for (const line of res.body.trim().split('\n')) {
      if (!line.startsWith('#'))
        assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[\d.e+]+|\+Inf)$/);
    }
  });

  it('a failed produce is counted', async () => {
    const producer = kafka.producer();
    await producer.connect();
    // Larger than the topic's max.message.bytes: refused with MESSAGE_TOO_LARGE.
    await assert.rejects(
      producer.send({
        topic: 'clicks',
        acks: 1,
        messages: [{ value: Buffer.alloc(1_100_000), partition: 0 }],
      }),
    );
    await producer.disconnect();
    const m = parseExposition((await get(`${broker.adminUrl}/metrics`)).body);
    assert.ok(m.get('kafka_server_brokertopicmetrics_failedproducerequests_total{topic="clicks"}')! >= 1);
  });

  it('admin.listener parses host:port and [v6]:port, empty is off', () => {
    assert.deepEqual(parseAdminListener('127.0.0.1:9644'), { host: '127.0.0.1', port: 9644 });
    assert.deepEqual(parseAdminListener('[::1]:0'), { host: '::1', port: 0 });
    assert.equal(parseAdminListener(''), null);
    assert.equal(parseAdminListener(null), null);
  });
});

describe('admin server: error codes in responses, by API (Kafka RequestMetrics ErrorsPerSec)', () => {
  let broker: RunningBroker;
  let c: RawClient;
  const errors = 'kafka_network_requestmetrics_errors_total';

  before(async () => {
    broker = await startBroker({
      topics: [{ name: 'events', partitions: 1 }],
      config: { 'admin.listener': '127.0.0.1:0', 'auto.create.topics.enable': false },
    });
    c = await RawClient.connect(Number(broker.bootstrap.slice(broker.bootstrap.lastIndexOf(':') + 1)));
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  it('counts every error code a response carries, NONE included, per partition and topic', async () => {
    // Produce: events-0 appends (NONE); events-7 and missing-0 do not exist.
    const batch = () => buildBatchSync([{ key: 'k', value: 'v' }]);
    const produced = await call<ProduceResponse>(c, 0, 9, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        {
          name: 'events',
          partitionData: [
            { index: 0, records: batch() },
            { index: 7, records: batch() },
          ],
        },
        { name: 'missing', partitionData: [{ index: 0, records: batch() }] },
      ],
    });
    assert.deepEqual(
      produced!.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );

    // Fetch past the log end: the top-level code (NONE) and the partition's OFFSET_OUT_OF_RANGE.
    const fetched = await call<FetchResponse>(c, 1, 12, {
      maxWaitMs: 0,
      minBytes: 1,
      topics: [
        { topic: 'events', partitions: [{ partition: 0, fetchOffset: 1000, partitionMaxBytes: 1 << 20 }] },
      ],
    });
    assert.equal(fetched!.errorCode, ErrorCode.NONE);
    assert.equal(fetched!.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

    // Metadata: events (topic and its one partition NONE), missing (UNKNOWN_TOPIC_OR_PARTITION).
    const meta = await call<MetadataResponse>(c, 3, 12, {
      topics: [{ name: 'events' }, { name: 'missing' }],
      allowAutoTopicCreation: false,
    });
    assert.deepEqual(
      meta!.topics.map((t) => t.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );

    // ApiVersions at a version the broker lacks: a v0 answer with UNSUPPORTED_VERSION.
    const header = Buffer.alloc(10);
    header.writeInt16BE(18, 0);
    header.writeInt16BE(99, 2);
    header.writeInt32BE(7, 4);
    header.writeInt16BE(-1, 8); // null client id
    c.send(header);
    const answer = (await c.next())!;
    assert.equal(answer.readInt32BE(0), 7);
    assert.equal(answer.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);

    const body = (await get(`${broker.adminUrl}/metrics`)).body;
    const m = parseExposition(body);
    assert.match(body, new RegExp(`^# TYPE ${errors} counter$`, 'm'));
    assert.equal(m.get(`${errors}{request="Produce",error="NONE"}`), 1);
    assert.equal(m.get(`${errors}{request="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"}`), 2);
    assert.equal(m.get(`${errors}{request="Fetch",error="NONE"}`), 1);
    assert.equal(m.get(`${errors}{request="Fetch",error="OFFSET_OUT_OF_RANGE"}`), 1);
    assert.equal(m.get(`${errors}{request="Metadata",error="NONE"}`), 2);
    assert.equal(m.get(`${errors}{request="Metadata",error="UNKNOWN_TOPIC_OR_PARTITION"}`), 1);
    assert.equal(m.get(`${errors}{request="ApiVersions",error="UNSUPPORTED_VERSION"}`), 1);
    assert.equal(m.get('kafka_network_requestmetrics_requests_total{request="ApiVersions"}'), 1);
    // Nothing else was answered, so nothing else is counted.
    const series = [...m.keys()].filter((k) => k.startsWith(`${errors}{`));
    assert.equal(series.length, 7, series.join('\n'));
  });
});
