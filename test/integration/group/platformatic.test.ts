import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnMember } from './members.js';
import { groupScenario, groupTestBroker } from './scenario.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./platformatic-member.js', import.meta.url));

describe('consumer groups: @platformatic/kafka', () => {
  const t = groupTestBroker({
    'group.consumer.session.timeout.ms': '3000',
    'group.consumer.heartbeat.interval.ms': '300',
  });

  it('3 members share 6 partitions, survive a leave and a kill, and resume from committed offsets', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'platformatic-orders',
      group: 'platformatic-group',
      spawn: (name) =>
        spawnMember(name, process.execPath, [
          MEMBER_SCRIPT,
          t.broker.bootstrap,
          'platformatic-group',
          'platformatic-orders',
        ]),
    });
  });

  it('KIP-848 consumer protocol: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'platformatic-848-orders',
      group: 'platformatic-848-group',
      protocol: 'consumer',
      spawn: (name) =>
        spawnMember(name, process.execPath, [
          MEMBER_SCRIPT,
          t.broker.bootstrap,
          'platformatic-848-group',
          'platformatic-848-orders',
          'consumer',
        ]),
    });
  });
});
