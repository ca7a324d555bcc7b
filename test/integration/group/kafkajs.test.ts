import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnMember } from './members.js';
import { groupScenario, groupTestBroker } from './scenario.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./kafkajs-member.js', import.meta.url));

describe('consumer groups: KafkaJS', () => {
  const t = groupTestBroker();

  it('3 members share 6 partitions, survive a leave and a kill, and resume from committed offsets', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'kafkajs-orders',
      group: 'kafkajs-group',
      spawn: (name) =>
        spawnMember(name, process.execPath, [
          MEMBER_SCRIPT,
          t.broker.bootstrap,
          'kafkajs-group',
          'kafkajs-orders',
        ]),
    });
  });
});
