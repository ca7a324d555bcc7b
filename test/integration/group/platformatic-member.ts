/**
 * A @platformatic/kafka group member in its own process (see members.ts for the protocol on
 * stdout). argv: bootstrap groupId topic. SIGTERM closes the consumer (LeaveGroup).
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const [bootstrap, groupId, topic] = process.argv.slice(2) as [string, string, string];
const consumer = new Consumer({
  groupId,
  clientId: 'platformatic-member',
  bootstrapBrokers: [bootstrap],
  deserializers: stringDeserializers,
});
consumer.on('consumer:group:join', (e: { assignments: { topic: string; partitions: number[] }[] | null }) => {
  const assignment = (e.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions);
  process.stdout.write(`${JSON.stringify({ event: 'join', assignment })}\n`);
});
process.once('SIGTERM', () => {
  consumer.close().finally(() => process.exit(0));
});
const stream = await consumer.consume({
  topics: [topic],
  mode: 'committed',
  fallbackMode: 'earliest',
  autocommit: 200,
  sessionTimeout: 3000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 300,
});
stream.on('data', (message: { value: string }) => {
  process.stdout.write(`${JSON.stringify({ event: 'message', value: message.value })}\n`);
});
