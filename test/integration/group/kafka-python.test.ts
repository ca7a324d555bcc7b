import { after, before, describe, it } from 'node:test';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { spawnMember } from './members.js';
import { KAFKA_PYTHON_MEMBER, PYTHON } from './python-clients.js';
import { groupScenario } from './scenario.js';

describe('consumer groups: kafka-python', () => {
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

  it('kafka-python: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin,
      producer,
      topic: 'kafka-python-orders',
      group: 'kafka-python-group',
      spawn: (name) =>
        spawnMember(name, PYTHON, [
          '-c',
          KAFKA_PYTHON_MEMBER,
          broker.bootstrap,
          'kafka-python-group',
          'kafka-python-orders',
        ]),
    });
  });
});
