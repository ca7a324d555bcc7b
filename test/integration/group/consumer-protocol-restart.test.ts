import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  type ConsumerGroupHeartbeatRequestInput,
  encodeConsumerGroupHeartbeatRequest,
} from '../../../src/protocol/generated/consumer-group-heartbeat-request.js';
import {
  type ConsumerGroupHeartbeatResponse,
  decodeConsumerGroupHeartbeatResponse,
} from '../../../src/protocol/generated/consumer-group-heartbeat-response.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { BrokerProcess } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

const CONSUMER_GROUP_HEARTBEAT = 68;

/** ConsumerGroupHeartbeat v1 is flexible: request header v2, response header v1. */
async function heartbeat(
  port: number,
  body: ConsumerGroupHeartbeatRequestInput,
): Promise<ConsumerGroupHeartbeatResponse> {
  const c = await RawClient.connect(port);
  try {
    const w = new Writer(256);
    w.int16(CONSUMER_GROUP_HEARTBEAT);
    w.int16(1);
    w.int32(7);
    w.int16(4);
    w.raw(Buffer.from('test'));
    w.uvarint(0);
    encodeConsumerGroupHeartbeatRequest(w, body, 1);
    c.send(w.toBuffer());
    const frame = await c.next();
    assert.ok(frame, 'the broker answered');
    const r = new Reader(frame);
    assert.equal(r.int32(), 7);
    r.uvarint();
    return decodeConsumerGroupHeartbeatResponse(r, 1);
  } finally {
    c.destroy();
  }
}

describe('consumer group protocol (KIP-848): durability', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start();
  });

  after(async () => {
    await broker?.close();
  });

  it('a member keeps its epoch and assignment across a kill -9 of the broker', async () => {
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'gregor-test',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kip848-durable', numPartitions: 4 }] });
    await admin.disconnect();

    const join = {
      groupId: 'kip848-group',
      memberId: 'member-one-0000000000',
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['kip848-durable'],
      topicPartitions: [],
    };
    // The coordinator may still be loading on the first call: retry as clients do.
    let joined = await heartbeat(broker.port, join);
    for (let i = 0; i < 100 && joined.errorCode === 14; i++) {
      await new Promise((r) => setTimeout(r, 100));
      joined = await heartbeat(broker.port, join);
    }
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.memberEpoch, 1);
    const assigned = joined.assignment?.topicPartitions ?? [];
    assert.deepEqual(assigned.flatMap((tp) => tp.partitions).sort(), [0, 1, 2, 3]);

    await broker.kill();
    await broker.restart();

    const again = {
      groupId: 'kip848-group',
      memberId: 'member-one-0000000000',
      memberEpoch: 1,
      topicPartitions: assigned.map((tp) => ({ topicId: tp.topicId, partitions: tp.partitions })),
    };
    let after = await heartbeat(broker.port, again);
    for (let i = 0; i < 100 && after.errorCode === 14; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await heartbeat(broker.port, again);
    }
    assert.equal(after.errorCode, 0, 'the member is still known after the restart');
    // The subscribed topics' metadata was stored with the group: nothing changed, no new epoch.
    assert.equal(after.memberEpoch, 1);
    assert.deepEqual(
      (after.assignment?.topicPartitions ?? []).flatMap((tp) => tp.partitions).sort(),
      [0, 1, 2, 3],
    );
  });
});
