import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnMember, stopped, waitFor } from './members.js';
import { CONFLUENT_MEMBER, PYTHON } from './python-clients.js';
import { groupScenario, groupTestBroker } from './scenario.js';

describe('consumer groups: confluent-kafka-python (librdkafka)', () => {
  const t = groupTestBroker();

  it('confluent-kafka: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'confluent-orders',
      group: 'confluent-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          CONFLUENT_MEMBER,
          t.broker.bootstrap,
          'confluent-group',
          'confluent-orders',
          '-',
        ]),
    });
  });

  it('confluent-kafka cooperative-sticky: incremental rebalancing on the classic protocol', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'cooperative-orders',
      group: 'cooperative-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          CONFLUENT_MEMBER,
          t.broker.bootstrap,
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
    await t.admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const spawn = (instance: string) =>
      spawnMember(instance, PYTHON, ['-c', CONFLUENT_MEMBER, t.broker.bootstrap, group, topic, instance]);
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
      assert.equal((await t.admin.describeGroups([group])).groups[0]?.state, 'Stable');
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  });
});
