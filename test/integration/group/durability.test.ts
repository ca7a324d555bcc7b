import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { countOf, spawnMember, stopped, waitFor } from './members.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./kafkajs-member.js', import.meta.url));
const TOPIC = 'durable-orders';
const GROUP = 'durable-group';

function client(broker: BrokerProcess): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], clientId: 'gregor-test', logLevel: logLevel.NOTHING });
}

async function offsetsOf(admin: Admin, groupId: string): Promise<Record<number, string>> {
  const res = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
  return Object.fromEntries((res[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

describe('consumer groups: durability of __consumer_offsets', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000' },
    });
  });

  after(async () => {
    await broker?.close();
  });

  it('committed offsets and groups survive kill -9 of the broker', async () => {
    let kafka = client(broker);
    let admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      messages: Array.from({ length: 60 }, (_, i) => ({ value: `before-${i}`, partition: i % 6 })),
    });
    await producer.disconnect();

    // A group member consumes everything and commits.
    const m = spawnMember('m', process.execPath, [MEMBER_SCRIPT, broker.bootstrap, GROUP, TOPIC]);
    const ends = await admin.fetchTopicOffsets(TOPIC);
    await waitFor('offsets committed to the end', async () => {
      const o = await offsetsOf(admin, GROUP);
      return ends.every((e) => o[e.partition] === e.high);
    });
    m.child.kill('SIGTERM');
    await stopped(m.child);
    // Offsets set by the admin client (a commit outside group management).
    await admin.setOffsets({
      groupId: 'admin-group',
      topic: TOPIC,
      partitions: [{ partition: 2, offset: '7' }],
    });
    const committed = await offsetsOf(admin, GROUP);
    const adminCommitted = await offsetsOf(admin, 'admin-group');
    await admin.disconnect();

    await broker.kill();
    await broker.restart();

    kafka = client(broker);
    admin = kafka.admin();
    await admin.connect();
    try {
      assert.deepEqual(await offsetsOf(admin, GROUP), committed);
      assert.deepEqual(await offsetsOf(admin, 'admin-group'), adminCommitted);
      assert.equal(adminCommitted[2], '7');
      const described = await admin.describeGroups([GROUP]);
      assert.equal(described.groups[0]?.state, 'Empty');
      assert.equal(described.groups[0]?.protocolType, 'consumer');

      // A member started after the restart resumes from the committed offsets.
      const p = kafka.producer();
      await p.connect();
      const after = Array.from({ length: 6 }, (_, i) => `after-${i}`);
      await p.send({ topic: TOPIC, messages: after.map((value, i) => ({ value, partition: i })) });
      await p.disconnect();
      const m2 = spawnMember('m2', process.execPath, [MEMBER_SCRIPT, broker.bootstrap, GROUP, TOPIC]);
      try {
        await waitFor('new messages consumed', () => countOf([m2.member], after).size === after.length);
        assert.deepEqual(
          m2.member.values.filter((v) => v.startsWith('before')),
          [],
        );
      } finally {
        m2.child.kill('SIGKILL');
      }
    } finally {
      await admin.disconnect();
    }
  });
});
