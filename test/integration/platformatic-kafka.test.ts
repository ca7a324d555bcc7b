import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  CompressionAlgorithms,
  ConfigResourceTypes,
  Consumer,
  compressionsAlgorithms,
  type Message,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { BrokerProcess } from '../helpers/broker.js';

type StringMessage = Message<string, string, string, string>;

describe('@platformatic/kafka against a broker process', () => {
  let broker: BrokerProcess;
  let admin: Admin;
  let producer: Producer<string, string, string, string>;

  before(async () => {
    broker = await BrokerProcess.start();
    admin = new Admin({ clientId: 'pk-admin', bootstrapBrokers: [broker.bootstrap] });
    producer = new Producer({
      clientId: 'pk-producer',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: false,
    });
  });
  after(async () => {
    await producer.close();
    await admin.close();
    await broker.close();
  });

  /** Reads `count` messages of `topic` with a fresh group, from the earliest or from given offsets. */
  async function consume(
    topic: string,
    count: number,
    offsets?: { topic: string; partition: number; offset: bigint }[],
  ): Promise<StringMessage[]> {
    const consumer = new Consumer({
      groupId: `pk-${topic}-${Math.random()}`,
      clientId: 'pk-consumer',
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: offsets ? MessagesStreamModes.MANUAL : MessagesStreamModes.EARLIEST,
      ...(offsets ? { offsets } : {}),
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const got: StringMessage[] = [];
    for await (const m of stream) {
      got.push(m as StringMessage);
      if (got.length === count) break;
    }
    await stream.close();
    await consumer.close(true);
    return got;
  }

  const codecs = Object.values(CompressionAlgorithms).filter(
    (c) => (compressionsAlgorithms as Record<string, { available?: boolean }>)[c]?.available !== false,
  );
  for (const codec of codecs) {
    it(`produces and consumes keys, values and headers (${codec})`, async () => {
      const topic = `pk-${codec}`;
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      await producer.send({
        compression: codec,
        messages: Array.from({ length: 30 }, (_, i) => ({
          topic,
          key: `k${i}`,
          value: `v${i}`,
          headers: new Map([['n', String(i)]]),
        })),
      });
      const got = await consume(topic, 30);
      got.forEach((m, i) => {
        assert.equal(m.offset, BigInt(i));
        assert.equal(m.key, `k${i}`);
        assert.equal(m.value, `v${i}`);
        assert.equal(m.headers.get('n'), String(i));
      });
    });
  }

  it('spreads keys over 3 partitions, keeps order, rewinds and finds offsets by timestamp', async () => {
    const topic = 'pk-keyed';
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    for (let batch = 0; batch < 3; batch++) {
      await producer.send({
        messages: Array.from({ length: 30 }, (_, i) => ({
          topic,
          key: `key-${i % 6}`,
          value: String(batch * 30 + i),
        })),
      });
    }
    const got = await consume(topic, 90);
    const partitionOfKey = new Map<string, number>();
    for (const m of got) {
      const p = partitionOfKey.get(m.key);
      if (p !== undefined) assert.equal(m.partition, p);
      partitionOfKey.set(m.key, m.partition);
    }
    assert.ok(new Set(partitionOfKey.values()).size > 1);
    for (const p of [0, 1, 2]) {
      const values = got.filter((m) => m.partition === p).map((m) => Number(m.value));
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
      );
    }
    const p0 = got.filter((m) => m.partition === got[0]!.partition);
    const again = await consume(topic, 2, [{ topic, partition: p0[0]!.partition, offset: 1n }]);
    assert.deepEqual(
      again.map((m) => [m.offset, m.value]),
      [
        [1n, p0[1]!.value],
        [2n, p0[2]!.value],
      ],
    );

    const tsTopic = 'pk-time';
    await admin.createTopics({ topics: [tsTopic], partitions: 1, replicas: 1 });
    const t0 = BigInt(Date.now() - 100_000);
    for (let i = 0; i < 5; i++) {
      await producer.send({
        messages: [{ topic: tsTopic, value: `m${i}`, timestamp: t0 + BigInt(i * 1000) }],
      });
    }
    const listed = await admin.listOffsets({
      topics: [{ name: tsTopic, partitions: [{ partitionIndex: 0, timestamp: t0 + 2500n }] }],
    });
    assert.equal(listed[0]!.partitions[0]!.offset, 3n);
  });

  it('admin: create, describe, alter config (incremental too), grow, delete', async () => {
    await admin.createTopics({
      topics: ['pk-admin'],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    });
    const describe = async () =>
      Object.fromEntries(
        (
          await admin.describeConfigs({
            resources: [
              {
                resourceType: ConfigResourceTypes.TOPIC,
                resourceName: 'pk-admin',
                configurationKeys: ['retention.ms', 'cleanup.policy'],
              },
            ],
          })
        )[0]!.configs.map((c) => [c.name, c.value]),
      );
    assert.deepEqual(await describe(), { 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    await admin.alterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'pk-admin',
          configs: [{ name: 'retention.ms', value: '7200000' }],
        },
      ],
    });
    assert.equal((await describe())['retention.ms'], '7200000');
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'pk-admin',
          configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }],
        },
      ],
    });
    assert.deepEqual(await describe(), { 'retention.ms': '7200000', 'cleanup.policy': 'compact' });
    await admin.createPartitions({ topics: [{ name: 'pk-admin', count: 3 }] });
    const meta = await admin.metadata({ topics: ['pk-admin'] });
    assert.equal(meta.topics.get('pk-admin')!.partitionsCount, 3);
    await admin.deleteTopics({ topics: ['pk-admin'] });
    assert.ok(!(await admin.listTopics()).includes('pk-admin'));
  });

  it('a consumer waiting on an empty partition receives a new record', async () => {
    const topic = 'pk-wait';
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const pending = consume(topic, 1);
    // The record is produced while the consumer joins and long-polls; it must arrive either way.
    await new Promise((r) => setTimeout(r, 1500));
    await producer.send({ messages: [{ topic, value: 'late' }] });
    const [m] = await pending;
    assert.equal(m!.value, 'late');
  });
});
