import {
  alterTopicConfigs,
  createPartitions,
  createTopics,
  deleteTopics,
  describeConfigs,
  ResourceType,
} from '../client/admin.js';
import { brokerError, ClientError } from '../client/errors.js';
import {
  bootstrapOption,
  type CommandSpec,
  dispatch,
  helpOption,
  requestTimeoutOption,
  runCommand,
  UsageError,
} from './args.js';
import { out, withClient } from './common.js';

const createSpec: CommandSpec = {
  name: 'gregor topic create',
  summary: 'Creates a topic.',
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'name of the topic (required)' },
    { name: 'partitions', value: 'N', default: "the broker's num.partitions", help: 'number of partitions' },
    {
      name: 'replication-factor',
      value: 'N',
      default: "the broker's default.replication.factor",
      help: 'copies of each partition',
    },
    { name: 'config', value: 'k=v', repeatable: true, help: 'a topic config, e.g. retention.ms=86400000' },
    { name: 'if-not-exists', help: 'succeed when the topic already exists' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor topic create --topic orders --partitions 3 --config retention.ms=604800000',
    'gregor topic create -b broker1:9092 --topic audit --replication-factor 3 --if-not-exists',
  ],
};

const listSpec: CommandSpec = {
  name: 'gregor topic list',
  summary: 'Prints the name of every topic, one per line, sorted.',
  options: [
    bootstrapOption,
    { name: 'exclude-internal', help: 'leave out internal topics (__consumer_offsets)' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: ['gregor topic list', 'gregor topic list --exclude-internal -b 127.0.0.1:9092'],
};

const describeSpec: CommandSpec = {
  name: 'gregor topic describe',
  summary:
    'Prints topics: id, partition count, replication factor, configs that differ from the defaults, then a line per partition with its leader, replicas and in-sync replicas (the format of kafka-topics.sh --describe).',
  options: [
    bootstrapOption,
    {
      name: 'topic',
      short: 't',
      value: 'NAME',
      repeatable: true,
      default: 'every topic',
      help: 'topic to describe',
    },
    { name: 'exclude-internal', help: 'leave out internal topics' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: ['gregor topic describe --topic orders', 'gregor topic describe'],
};

const alterSpec: CommandSpec = {
  name: 'gregor topic alter',
  summary: 'Adds partitions to a topic and/or changes its configs.',
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'topic to alter (required)' },
    { name: 'partitions', value: 'N', help: 'new total partition count (only grows)' },
    { name: 'add-config', value: 'k=v', repeatable: true, help: 'set a topic config' },
    { name: 'delete-config', value: 'KEY', repeatable: true, help: 'reset a topic config to its default' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor topic alter --topic orders --partitions 6',
    'gregor topic alter --topic orders --add-config retention.ms=3600000 --delete-config cleanup.policy',
  ],
};

const deleteSpec: CommandSpec = {
  name: 'gregor topic delete',
  summary: 'Deletes topics and their data.',
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', repeatable: true, help: 'topic to delete (required)' },
    { name: 'if-exists', help: 'succeed when the topic does not exist' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: ['gregor topic delete --topic orders', 'gregor topic delete -t a -t b --if-exists'],
};

export function topic(argv: string[]): Promise<void> {
  return dispatch(
    'topic',
    'Creates, lists, describes, alters and deletes topics through the Kafka protocol.',
    {
      create: { summary: createSpec.summary, run: (a) => runCommand(createSpec, a, runCreate) },
      list: { summary: 'Prints the name of every topic.', run: (a) => runCommand(listSpec, a, runList) },
      describe: {
        summary: 'Prints partitions, leaders, replicas and configs.',
        run: (a) => runCommand(describeSpec, a, runDescribe),
      },
      alter: { summary: alterSpec.summary, run: (a) => runCommand(alterSpec, a, runAlter) },
      delete: { summary: deleteSpec.summary, run: (a) => runCommand(deleteSpec, a, runDelete) },
    },
    argv,
  );
}

function noPositionals(o: { parsed: { positionals: string[] } }): void {
  const p = o.parsed.positionals[0];
  if (p !== undefined) throw new UsageError(`unexpected argument '${p}'`);
}

const runCreate: Parameters<typeof runCommand>[2] = async (o) => {
  noPositionals(o);
  const name = o.required('topic');
  const partitions = o.int('partitions', -1, 1, 1_000_000);
  const replicationFactor = o.int('replication-factor', -1, 1, 32_767);
  const configs = o.pairs('config');
  await withClient(o, async (client) => {
    const [r] = await createTopics(client, [{ name, partitions, replicationFactor, configs }]);
    if (!r) throw new ClientError('CreateTopics returned no result');
    if (r.errorCode === 36 && o.flag('if-not-exists')) {
      await out(`Topic ${name} already exists.\n`);
      return;
    }
    if (r.errorCode !== 0) throw brokerError(`create topic '${name}'`, r.errorCode, r.errorMessage);
    await out(`Created topic ${name}.\n`);
  });
};

const runList: Parameters<typeof runCommand>[2] = async (o) => {
  noPositionals(o);
  await withClient(o, async (client) => {
    const topics = await client.metadata(null);
    const names = [...topics.values()]
      .filter((t) => !(o.flag('exclude-internal') && (t.isInternal || t.name.startsWith('__'))))
      .map((t) => t.name)
      .sort();
    await out(names.map((n) => `${n}\n`).join(''));
  });
};

const runDescribe: Parameters<typeof runCommand>[2] = async (o) => {
  noPositionals(o);
  const wanted = o.list('topic');
  await withClient(o, async (client) => {
    const topics = await client.metadata(wanted.length > 0 ? wanted : null);
    const names = (wanted.length > 0 ? wanted : [...topics.keys()].sort()).filter(
      (n) => !(o.flag('exclude-internal') && (topics.get(n)?.isInternal || n.startsWith('__'))),
    );
    let text = '';
    for (const name of names) {
      const t = topics.get(name);
      if (t?.errorCode !== 0) throw brokerError(`describe topic '${name}'`, t?.errorCode ?? 3);
      const configs = (await describeConfigs(client, ResourceType.topic, name))
        .filter((c) => !c.isDefault && c.value !== null)
        .map((c) => `${c.name}=${c.isSensitive ? '<sensitive>' : c.value}`)
        .sort();
      const rf = t.partitions[0]?.replicas.length ?? 0;
      text += `Topic: ${name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs.join(',')}\n`;
      for (const p of t.partitions)
        text += `\tTopic: ${name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\n`;
    }
    await out(text);
  });
};

const runAlter: Parameters<typeof runCommand>[2] = async (o) => {
  noPositionals(o);
  const name = o.required('topic');
  const partitions = o.int('partitions', -1, 1, 1_000_000);
  const set = o.pairs('add-config');
  const remove = o.list('delete-config');
  if (partitions < 0 && Object.keys(set).length === 0 && remove.length === 0)
    throw new UsageError('nothing to alter: give --partitions, --add-config or --delete-config');
  await withClient(o, async (client) => {
    const info = await client.topic(name, true);
    if (partitions >= 0) {
      if (partitions <= info.partitions.length)
        throw new ClientError(
          `topic '${name}' has ${info.partitions.length} partitions; --partitions must be larger (partitions can only be added)`,
        );
      await createPartitions(client, name, partitions);
      await out(`Topic ${name} now has ${partitions} partitions.\n`);
    }
    if (Object.keys(set).length > 0 || remove.length > 0) {
      await alterTopicConfigs(client, name, set, remove);
      await out(`Updated configs of topic ${name}.\n`);
    }
  });
};

const runDelete: Parameters<typeof runCommand>[2] = async (o) => {
  noPositionals(o);
  const names = o.list('topic');
  if (names.length === 0) throw new UsageError('--topic is required');
  await withClient(o, async (client) => {
    const results = await deleteTopics(client, names);
    let failure: Error | null = null;
    for (const r of results) {
      if (r.errorCode === 0) await out(`Deleted topic ${r.name}.\n`);
      else if (r.errorCode === 3 && o.flag('if-exists')) await out(`Topic ${r.name} does not exist.\n`);
      else failure ??= brokerError(`delete topic '${r.name}'`, r.errorCode, r.errorMessage);
    }
    if (failure) throw failure;
  });
};
