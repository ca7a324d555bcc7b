import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker.js';

const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = kafkajs;

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

interface Received {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

describe('KafkaJS against a broker process', () => {
  let broker: BrokerProcess;
  let kafka: InstanceType<typeof Kafka>;

  before(async () => {
    broker = await BrokerProcess.start();
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'kafkajs-test', logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await broker.close();
  });

  /** Consumes `count` messages from `topic` with a fresh group, from the beginning. */
  async function consumeAll(
    topic: string,
    count: number,
    seek?: { partition: number; offset: string },
  ): Promise<Received[]> {
    const consumer = kafka.consumer({ groupId: `g-${topic}-${Math.random()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: Received[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            got.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
            });
            if (got.length === count) resolve();
          },
        })
        .catch(reject);
      if (seek) consumer.seek({ topic, ...seek });
    });
    await consumer.disconnect();
    return got;
  }

  for (const [name, compression] of [
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
  ] as const) {
    it(`produces and consumes keys, values and headers (${name})`, async () => {
      const topic = `kjs-${name}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const messages = Array.from({ length: 50 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { n: String(i), kind: 'test' },
      }));
      await producer.send({ topic, compression, messages });
      await producer.disconnect();
      const got = await consumeAll(topic, 50);
      got.forEach((m, i) => {
        assert.equal(m.offset, String(i));
        assert.equal(m.key, `k${i}`);
        assert.equal(m.value, `v${i}`);
        assert.deepEqual(m.headers, { n: String(i), kind: 'test' });
      });
    });
  }

  it('spreads keys over 3 partitions and keeps each partition in order', async () => {
    const topic = 'kjs-keyed';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({
          key: `key-${i % 7}`,
          value: String(batch * 20 + i),
        })),
      });
    }
    await producer.disconnect();
    const got = await consumeAll(topic, 100);
    const partitionOfKey = new Map<string, number>();
    for (const m of got) {
      const p = partitionOfKey.get(m.key!);
      if (p !== undefined) assert.equal(m.partition, p);
      partitionOfKey.set(m.key!, m.partition);
    }
    assert.ok(new Set(partitionOfKey.values()).size > 1);
    for (const p of [0, 1, 2]) {
      const values = got.filter((m) => m.partition === p).map((m) => Number(m.value));
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
      );
    }
  });

  it('seeks back to an earlier offset and reads again; finds offsets by timestamp', async () => {
    const topic = 'kjs-rewind';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 10_000;
    // One batch per record, so the timestamp lookup is exact at batch granularity too.
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic, messages: [{ value: `m${i}`, timestamp: String(t0 + i * 1000) }] });
    }
    await producer.disconnect();
    const again = await consumeAll(topic, 4, { partition: 0, offset: '6' });
    assert.deepEqual(
      again.map((m) => m.value),
      ['m6', 'm7', 'm8', 'm9'],
    );
    const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 3500);
    assert.deepEqual(byTs, [{ partition: 0, offset: '4' }]);
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets[0]!.high, '10');
    assert.equal(offsets[0]!.low, '0');
    await admin.disconnect();
  });

  it('admin: create, describe, alter config, delete', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'kjs-admin', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      ],
    });
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
    assert.equal(meta.topics[0]!.partitions.length, 2);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'kjs-admin',
          configNames: ['retention.ms', 'cleanup.policy'],
        },
      ],
    });
    const entries = Object.fromEntries(
      described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
    );
    assert.deepEqual(entries, { 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'kjs-admin',
          configEntries: [{ name: 'retention.ms', value: '7200000' }],
        },
      ],
    });
    const after = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configNames: ['retention.ms'] }],
    });
    assert.equal(after.resources[0]!.configEntries[0]!.configValue, '7200000');
    await assert.rejects(
      admin.createTopics({ topics: [{ topic: 'kjs-bad', numPartitions: 1, replicationFactor: 3 }] }),
      (err: { errors?: { type?: string }[] }) => err.errors?.[0]?.type === 'INVALID_REPLICATION_FACTOR',
    );
    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 4 }] });
    assert.equal((await admin.fetchTopicMetadata({ topics: ['kjs-admin'] })).topics[0]!.partitions.length, 4);
    await admin.deleteTopics({ topics: ['kjs-admin'] });
    assert.ok(!(await admin.listTopics()).includes('kjs-admin'));
    await admin.disconnect();
  });

  it('a consumer waiting on an empty partition receives a new record', async () => {
    const topic = 'kjs-wait';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: 'kjs-wait-group', maxWaitTimeInMs: 5000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const groupJoined = new Promise<void>((r) => {
      joined = r;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    const received = new Promise<string>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject);
    });
    await groupJoined;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'hello-late' }] });
    await producer.disconnect();
    assert.equal(await received, 'hello-late');
    await consumer.disconnect();
  });
});
