import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { spawnMember } from './members.js';
import { groupScenario } from './scenario.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./platformatic-member.js', import.meta.url));

describe('consumer groups: @platformatic/kafka', () => {
  let broker: BrokerProcess;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: {
        'group.initial.rebalance.delay.ms': '0',
        'group.min.session.timeout.ms': '1000',
        'group.consumer.session.timeout.ms': '3000',
        'group.consumer.heartbeat.interval.ms': '300',
      },
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

  it('3 members share 6 partitions, survive a leave and a kill, and resume from committed offsets', async () => {
    await groupScenario({
      admin,
      producer,
      topic: 'platformatic-orders',
      group: 'platformatic-group',
      spawn: (name) =>
        spawnMember(name, process.execPath, [
          MEMBER_SCRIPT,
          broker.bootstrap,
          'platformatic-group',
          'platformatic-orders',
        ]),
    });
  });

  it('KIP-848 consumer protocol: 3 members share 6 partitions, survive a leave and a kill, resume from committed offsets', async () => {
    await groupScenario({
      admin,
      producer,
      topic: 'platformatic-848-orders',
      group: 'platformatic-848-group',
      protocol: 'consumer',
      spawn: (name) =>
        spawnMember(name, process.execPath, [
          MEMBER_SCRIPT,
          broker.bootstrap,
          'platformatic-848-group',
          'platformatic-848-orders',
          'consumer',
        ]),
    });
  });
});
