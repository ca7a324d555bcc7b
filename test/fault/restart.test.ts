import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker.js';
import { kcat, nonEmptyLines } from '../helpers/kcat.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** Reads every record of `topic` with kcat: "partition offset value" per line. */
async function readAll(
  bootstrap: string,
  topic: string,
): Promise<{ partition: number; offset: number; value: string }[]> {
  const out = await kcat([
    '-C',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%p %o %s\n',
  ]);
  return nonEmptyLines(out).map((l) => {
    const [p, o, ...v] = l.split(' ');
    return { partition: Number(p), offset: Number(o), value: v.join(' ') };
  });
}

function client(bootstrap: string) {
  return new Kafka({
    brokers: [bootstrap],
    clientId: 'restart-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

describe('restart: everything acknowledged is read back', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start();
  });
  after(async () => {
    await broker.close();
  });

  it('after SIGTERM (exit 0): records, topics, ids and configs are restored', async () => {
    const kafka = client(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'rs-term', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '123456789' }] },
      ],
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 30 }, (_, i) => ({
        key: `k${i % 5}`,
        value: `term-${batch}-${i}`,
      }));
      await producer.send({ topic: 'rs-term', acks: -1, messages });
      sent.push(...messages.map((m) => m.value));
    }
    await producer.disconnect();
    await admin.disconnect();
    const before = await readAll(broker.bootstrap, 'rs-term');
    assert.equal(before.length, sent.length);

    assert.equal(await broker.stop(), 0, 'graceful stop exits 0');
    await broker.restart();

    const after = await readAll(broker.bootstrap, 'rs-term');
    const key = (r: { partition: number; offset: number; value: string }) =>
      `${r.partition}/${r.offset}/${r.value}`;
    assert.deepEqual(after.map(key).sort(), before.map(key).sort(), 'same records at the same offsets');

    const admin2 = client(broker.bootstrap).admin();
    await admin2.connect();
    const meta = await admin2.fetchTopicMetadata({ topics: ['rs-term'] });
    assert.equal(meta.topics[0]!.partitions.length, 3);
    const configs = await admin2.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rs-term', configNames: ['retention.ms'] }],
    });
    assert.equal(configs.resources[0]!.configEntries[0]!.configValue, '123456789');
    // New appends continue after the restored log end.
    const producer2 = client(broker.bootstrap).producer();
    await producer2.connect();
    const [res] = await producer2.send({
      topic: 'rs-term',
      acks: -1,
      messages: [{ key: 'k0', value: 'after-restart' }],
    });
    await producer2.disconnect();
    const partitionCount = before.filter((r) => r.partition === res!.partition).length;
    assert.equal(res!.baseOffset, String(partitionCount));
    await admin2.disconnect();
  });

  it('after kill -9 during produce: every acknowledged record is there', async () => {
    const kafka = client(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rs-kill', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acknowledged = new Map<string, { partition: number; offset: number }>();
    let stop = false;
    const loop = (async () => {
      for (let batch = 0; !stop; batch++) {
        // Each batch to one named partition, so its records' offsets are base offset + index.
        const partition = batch % 2;
        const messages = Array.from({ length: 20 }, (_, i) => ({ partition, value: `kill-${batch}-${i}` }));
        try {
          const [res] = await producer.send({ topic: 'rs-kill', acks: 1, messages });
          const base = Number(res!.baseOffset);
          messages.forEach((m, i) => {
            acknowledged.set(m.value, { partition, offset: base + i });
          });
        } catch {
          return;
        }
      }
    })();
    while (acknowledged.size < 500) await new Promise((r) => setTimeout(r, 10));
    await broker.kill();
    stop = true;
    await loop;
    await producer.disconnect().catch(() => {});

    await broker.restart();
    const after = await readAll(broker.bootstrap, 'rs-kill');
    const at = new Map(after.map((r) => [r.value, r]));
    for (const [value, where] of acknowledged) {
      const r = at.get(value);
      assert.ok(r, `acknowledged record ${value} is present`);
      assert.equal(r.partition, where.partition);
      assert.equal(r.offset, where.offset, `${value} at its acknowledged offset`);
    }
  });

  it('deleting a topic deletes its partition directories', async () => {
    const admin = client(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rs-del', numPartitions: 2 }] });
    assert.ok(existsSync(join(broker.dataDir, 'rs-del-0')));
    await admin.deleteTopics({ topics: ['rs-del'] });
    await admin.disconnect();
    const left = readdirSync(broker.dataDir).filter((d) => d === 'rs-del-0' || d === 'rs-del-1');
    assert.deepEqual(left, []);
    await broker.restart();
    const admin2 = client(broker.bootstrap).admin();
    await admin2.connect();
    assert.ok(!(await admin2.listTopics()).includes('rs-del'), 'deleted topic stays deleted after restart');
    await admin2.disconnect();
  });
});
