import { describe, it } from 'node:test';
import { spawnMember } from './members.js';
import { KAFKA_PYTHON_MEMBER, PYTHON } from './python-clients.js';
import { groupScenario, groupTestBroker } from './scenario.js';

describe('consumer groups: kafka-python', () => {
  const t = groupTestBroker();

  it('kafka-python: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin: t.admin,
      producer: t.producer,
      topic: 'kafka-python-orders',
      group: 'kafka-python-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          KAFKA_PYTHON_MEMBER,
          t.broker.bootstrap,
          'kafka-python-group',
          'kafka-python-orders',
        ]),
    });
  });
});
