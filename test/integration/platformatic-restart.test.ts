import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  Consumer,
  type Message,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { BrokerProcess } from '../helpers/broker.js';

/** One acknowledged (or read back) record, in a form deepEqual compares exactly. */
type Row = [partition: number, offset: string, key: string, value: string];

const PARTITIONS = 3;
const N = 60;

function sortRows(rows: Row[]): Row[] {
  return rows.sort((a, b) => a[0] - b[0] || Number(BigInt(a[1]) - BigInt(b[1])));
}

describe('@platformatic/kafka: acknowledged records survive a broker restart', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start();
  });
  after(async () => {
    await broker.close();
  });

  /** Produces N keyed records with acks=all, one send per record, and returns what was acknowledged. */
  async function produce(topic: string): Promise<Row[]> {
    const admin = new Admin({ clientId: 'pk-restart-admin', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
    await admin.close();
    const producer = new Producer({
      clientId: 'pk-restart-producer',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: false,
    });
    const acked: Row[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const key = `key-${i % 7}`;
        const value = `${topic}-v${i}`;
        const partition = i % PARTITIONS;
        const res = await producer.send({
          acks: ProduceAcks.ALL,
          messages: [{ topic, partition, key, value }],
        });
        const offsets = res.offsets ?? [];
        assert.equal(offsets.length, 1, 'one acknowledged offset per send');
        assert.equal(offsets[0]!.partition, partition);
        acked.push([partition, String(offsets[0]!.offset), key, value]);
      }
    } finally {
      await producer.close();
    }
    return sortRows(acked);
  }

  /** Reads every record of `topic` from offset 0 up to each partition's end offset. */
  async function readAll(topic: string): Promise<Row[]> {
    const consumer = new Consumer({
      groupId: `pk-restart-${topic}-${Math.random()}`,
      clientId: 'pk-restart-consumer',
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      timeout: 5000,
    });
    try {
      const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic)!;
      assert.equal(ends.length, PARTITIONS);
      const total = ends.reduce((s, e) => s + Number(e), 0);
      const rows: Row[] = [];
      if (total === 0) return rows;
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.MANUAL,
        offsets: ends.map((_, partition) => ({ topic, partition, offset: 0n })),
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      for await (const m of stream) {
        const msg = m as Message<string, string, string, string>;
        rows.push([msg.partition, String(msg.offset), msg.key, msg.value]);
        if (rows.length === total) break;
      }
      await stream.close();
      return sortRows(rows);
    } finally {
      await consumer.close(true);
    }
  }

  it('SIGTERM: everything acknowledged is read back, nothing else', async () => {
    const acked = await produce('pk-restart-term');
    assert.equal(acked.length, N);
    assert.equal(await broker.stop(), 0, 'clean exit on SIGTERM');
    await broker.restart();
    assert.deepEqual(await readAll('pk-restart-term'), acked);
  });

  it('kill -9: everything acknowledged is read back, nothing else (and the SIGTERM topic too)', async () => {
    const before = await readAll('pk-restart-term');
    const acked = await produce('pk-restart-kill');
    assert.equal(acked.length, N);
    await broker.kill();
    await broker.restart();
    assert.deepEqual(await readAll('pk-restart-kill'), acked);
    assert.deepEqual(await readAll('pk-restart-term'), before);
  });
});
