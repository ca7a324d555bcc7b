import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { spawnMember, stopped, waitFor } from './members.js';
import { CONFLUENT_MEMBER, PYTHON } from './python-clients.js';
import { groupScenario } from './scenario.js';

describe('consumer groups: confluent-kafka-python (librdkafka)', () => {
  let broker: BrokerProcess;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000' },
    });
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'gregor-test',
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  it('confluent-kafka: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin,
      producer,
      topic: 'confluent-orders',
      group: 'confluent-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          CONFLUENT_MEMBER,
          broker.bootstrap,
          'confluent-group',
          'confluent-orders',
          '-',
        ]),
    });
  });

  it('confluent-kafka cooperative-sticky: incremental rebalancing on the classic protocol', async () => {
    await groupScenario({
      admin,
      producer,
      topic: 'cooperative-orders',
      group: 'cooperative-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          CONFLUENT_MEMBER,
          broker.bootstrap,
          'cooperative-group',
          'cooperative-orders',
          '-',
          'cooperative-sticky',
        ]),
    });
  });

  it('confluent-kafka: a static member restarted within its session rejoins without a rebalance', async () => {
    const topic = 'static-orders';
    const group = 'static-group';
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const spawn = (instance: string) =>
      spawnMember(instance, PYTHON, ['-c', CONFLUENT_MEMBER, broker.bootstrap, group, topic, instance]);
    const a = spawn('instance-a');
    let b = spawn('instance-b');
    try {
      await waitFor(
        '3 partitions each',
        () => a.member.assignment.length === 3 && b.member.assignment.length === 3,
      );
      const before = b.member.assignment;
      const aAssignments = a.member.assignments;
      b.child.kill('SIGKILL');
      await stopped(b.child);
      b = spawn('instance-b');
      await waitFor(
        'the restarted static member gets its partitions back',
        () => b.member.assignment.length === 3,
      );
      assert.deepEqual(b.member.assignment, before);
      // The other member saw no rebalance: it was never assigned again.
      assert.equal(a.member.assignments, aAssignments);
      assert.equal((await admin.describeGroups([group])).groups[0]?.state, 'Stable');
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  });
});
