/**
 * A KafkaJS group member in its own process (see members.ts for the protocol on stdout).
 * argv: bootstrap groupId topic. SIGTERM disconnects (LeaveGroup); SIGKILL leaves nothing.
 */
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic] = process.argv.slice(2) as [string, string, string];
const kafka = new Kafka({ brokers: [bootstrap], clientId: 'kafkajs-member', logLevel: logLevel.NOTHING });
// KafkaJS heartbeats from its fetch loop, so a fetch must never park longer than the session.
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: 3000,
  heartbeatInterval: 300,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 200,
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const assignment = e.payload.memberAssignment[topic] ?? [];
  process.stdout.write(`${JSON.stringify({ event: 'join', assignment })}\n`);
});
process.once('SIGTERM', () => {
  consumer.disconnect().finally(() => process.exit(0));
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    process.stdout.write(`${JSON.stringify({ event: 'message', value: message.value?.toString() })}\n`);
  },
});
