/**
 * Deleting a topic drops every group's committed offsets for it, durably, as Kafka does: a topic
 * re-created under the same name must not inherit a consumer's old position.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

describe('consumer groups: offsets of a deleted topic', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start();
  });
  after(() => broker.close());

  it('are dropped on DeleteTopics and stay dropped after a restart', async () => {
    const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: 'doomed', numPartitions: 2 }, { topic: 'kept' }],
        waitForLeaders: true,
      });
      await admin.setOffsets({
        groupId: 'g1',
        topic: 'doomed',
        partitions: [
          { partition: 0, offset: '7' },
          { partition: 1, offset: '3' },
        ],
      });
      await admin.setOffsets({ groupId: 'g1', topic: 'kept', partitions: [{ partition: 0, offset: '5' }] });
      assert.deepEqual(await committed(admin), { 'doomed/0': '7', 'doomed/1': '3', 'kept/0': '5' });

      await admin.deleteTopics({ topics: ['doomed'] });
      assert.deepEqual(await committed(admin), { 'kept/0': '5' });
    } finally {
      await admin.disconnect();
    }

    await broker.restart();
    const again = kafka().admin();
    await again.connect();
    try {
      assert.deepEqual(await committed(again), { 'kept/0': '5' });
    } finally {
      await again.disconnect();
    }
  });
});

/** Every offset group g1 has committed (OffsetFetch with all topics), as "topic/partition" → offset. */
async function committed(admin: kafkajs.Admin): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await admin.fetchOffsets({ groupId: 'g1' })) {
    for (const p of t.partitions) if (p.offset !== '-1') out[`${t.topic}/${p.partition}`] = p.offset;
  }
  return out;
}
