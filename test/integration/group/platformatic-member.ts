/**
 * A @platformatic/kafka group member in its own process (see members.ts for the protocol on
 * stdout). argv: bootstrap groupId topic [classic|consumer]. SIGTERM closes the consumer, which
 * leaves the group. The assignment is reported whenever it changes, for either group protocol.
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const [bootstrap, groupId, topic, protocol = 'classic'] = process.argv.slice(2) as [
  string,
  string,
  string,
  string?,
];
const consumer = new Consumer({
  groupId,
  clientId: 'platformatic-member',
  bootstrapBrokers: [bootstrap],
  deserializers: stringDeserializers,
  groupProtocol: protocol === 'consumer' ? 'consumer' : 'classic',
});
let reported = '';
const report = setInterval(() => {
  const assignment = (consumer.assignments ?? [])
    .filter((a) => a.topic === topic)
    .flatMap((a) => a.partitions);
  const key = JSON.stringify([...assignment].sort((x, y) => x - y));
  if (key !== reported && consumer.assignments !== null) {
    reported = key;
    process.stdout.write(`${JSON.stringify({ event: 'join', assignment })}\n`);
  }
}, 50);
process.once('SIGTERM', () => {
  clearInterval(report);
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
