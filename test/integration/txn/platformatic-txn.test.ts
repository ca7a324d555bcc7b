/**
 * Idempotence and transactions with @platformatic/kafka against a real broker process: an
 * idempotent producer through connections cut after the broker answered leaves no duplicate; a
 * committed and an aborted transaction across 3 partitions, read_committed vs read_uncommitted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  type Message,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { BrokerProcess } from '../../helpers/broker.js';
import { CuttingProxy } from '../../helpers/cutting-proxy.js';

type StringMessage = Message<string, string, string, string>;

describe('@platformatic/kafka idempotence and transactions', () => {
  let broker: BrokerProcess;
  let proxy: CuttingProxy;
  let bootstrap = '';
  let admin: Admin;

  before(async () => {
    proxy = new CuttingProxy();
    const port = await proxy.listen();
    broker = await BrokerProcess.start({
      overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}` },
    });
    proxy.target = broker.port;
    bootstrap = `127.0.0.1:${port}`;
    admin = new Admin({ clientId: 'pk-txn-admin', bootstrapBrokers: [bootstrap] });
  });
  after(async () => {
    await admin.close();
    await broker.close();
    await proxy.close();
  });

  /** Everything of `topic` (from the earliest offset) until a value `end` was seen on every partition. */
  async function readUntilEnd(topic: string, partitions: number, isolationLevel: number): Promise<string[]> {
    const consumer = new Consumer({
      groupId: `pk-txn-${topic}-${isolationLevel}-${Math.random()}`,
      clientId: 'pk-txn-consumer',
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      isolationLevel,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const got: string[] = [];
    const ended = new Set<number>();
    for await (const m of stream) {
      const message = m as StringMessage;
      if (message.value === 'end') ended.add(message.partition);
      else got.push(message.value);
      if (ended.size === partitions) break;
    }
    await stream.close();
    await consumer.close(true);
    return got.sort();
  }

  async function endMarkers(topic: string, partitions: number): Promise<void> {
    const p = new Producer({
      clientId: 'pk-txn-end',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
    });
    await p.send({
      messages: Array.from({ length: partitions }, (_, partition) => ({ topic, partition, value: 'end' })),
    });
    await p.close();
  }

  it('an idempotent producer through cut connections writes every record once', async () => {
    const topic = 'pk-idem';
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const producer = new Producer({
      clientId: 'pk-idem',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      retries: 10,
      retryDelay: 100,
    });
    const n = 20;
    for (let i = 0; i < n; i++) {
      if (i % 5 === 2) proxy.cutNextProduce();
      await producer.send({ messages: [{ topic, partition: 0, value: `m${i}` }] });
    }
    await producer.close();
    assert.ok(proxy.cuts >= 4, `only ${proxy.cuts} connections were cut`);
    await endMarkers(topic, 1);
    assert.deepEqual(
      await readUntilEnd(topic, 1, FetchIsolationLevels.READ_UNCOMMITTED),
      Array.from({ length: n }, (_, i) => `m${i}`).sort(),
    );
  });

  it('commits one transaction and aborts another across 3 partitions', async () => {
    const topic = 'pk-txn';
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const producer = new Producer({
      clientId: 'pk-txn',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: 'pk-tx',
    });
    const values = (tag: string) => [0, 1, 2].flatMap((p) => [0, 1].map((i) => `${tag}-${p}-${i}`));
    const send = (tag: string) =>
      [0, 1, 2].flatMap((partition) =>
        [0, 1].map((i) => ({ topic, partition, value: `${tag}-${partition}-${i}` })),
      );
    const committed = await producer.beginTransaction();
    await committed.send({ messages: send('c') });
    await committed.commit();
    const aborted = await producer.beginTransaction();
    await aborted.send({ messages: send('a') });
    await aborted.abort();
    await producer.close();
    await endMarkers(topic, 3);
    assert.deepEqual(await readUntilEnd(topic, 3, FetchIsolationLevels.READ_COMMITTED), values('c').sort());
    assert.deepEqual(
      await readUntilEnd(topic, 3, FetchIsolationLevels.READ_UNCOMMITTED),
      [...values('c'), ...values('a')].sort(),
    );
  });

  it('kill -9 inside a transaction: aborted by its timeout after restart; the idempotent producer state survives', async () => {
    const topic = 'pk-kill';
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const idem = new Producer({
      clientId: 'pk-kill-idem',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      retries: 20,
      retryDelay: 200,
    });
    await idem.send({
      messages: [0, 1, 2].map((partition) => ({ topic, partition, value: `before-${partition}` })),
    });
    const producer = new Producer({
      clientId: 'pk-kill-txn',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: 'pk-kill-tx',
      timeout: 2000,
    });
    const txn = await producer.beginTransaction();
    await txn.send({
      messages: [0, 1, 2].map((partition) => ({ topic, partition, value: `open-${partition}` })),
    });
    await broker.kill();
    await broker.restart();
    proxy.target = broker.port;
    await producer.close().catch(() => {});
    // The same idempotent producer carries on after the restart: its sequence numbers are still accepted.
    await idem.send({
      messages: [0, 1, 2].map((partition) => ({ topic, partition, value: `after-${partition}` })),
    });
    await idem.close();
    await endMarkers(topic, 3);
    assert.deepEqual(await readUntilEnd(topic, 3, FetchIsolationLevels.READ_COMMITTED), [
      'after-0',
      'after-1',
      'after-2',
      'before-0',
      'before-1',
      'before-2',
    ]);
  });
});
