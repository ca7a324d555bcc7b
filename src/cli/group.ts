import { listOffsets, OffsetSpec } from '../client/admin.js';
import type { KafkaClient } from '../client/client.js';
import { brokerError, ClientError } from '../client/errors.js';
import { commitOffsets, deleteGroups, describeGroup, fetchCommitted, listGroups } from '../client/group.js';
import {
  bootstrapOption,
  type CommandSpec,
  dispatch,
  helpOption,
  type Options,
  parseIntArg,
  requestTimeoutOption,
  runCommand,
  UsageError,
} from './args.js';
import { out, table, withClient } from './common.js';
import { parseTime } from './consume.js';

const groupOption = { name: 'group', short: 'g', value: 'ID', help: 'the consumer group (required)' };

const listSpec: CommandSpec = {
  name: 'gregor group list',
  summary: 'Prints every consumer group, one per line (with --state: a GROUP STATE table).',
  options: [
    bootstrapOption,
    { name: 'state', help: 'also print each group’s state' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: ['gregor group list', 'gregor group list --state'],
};

const describeSpec: CommandSpec = {
  name: 'gregor group describe',
  summary:
    'Prints, per partition the group has offsets for or is assigned, the committed offset, the log end offset, the lag and the member that owns it (the table of kafka-consumer-groups.sh --describe).',
  options: [
    bootstrapOption,
    { ...groupOption, repeatable: true },
    { name: 'members', help: 'print the members instead: id, host, client id and partitions' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: ['gregor group describe --group billing', 'gregor group describe -g billing --members'],
};

const resetSpec: CommandSpec = {
  name: 'gregor group reset-offsets',
  summary:
    'Moves a group’s committed offsets. Prints the plan; changes nothing unless --execute is given. The group must have no active members.',
  options: [
    bootstrapOption,
    groupOption,
    {
      name: 'topic',
      short: 't',
      value: 'NAME[:P,P...]',
      repeatable: true,
      help: 'topic (optionally only these partitions)',
    },
    { name: 'all-topics', help: 'every topic the group has committed offsets for' },
    { name: 'to-earliest', help: 'to the first offset of each partition' },
    { name: 'to-latest', help: 'to the end of each partition' },
    { name: 'to-offset', value: 'N', help: 'to offset N (clamped to the partition’s range)' },
    { name: 'shift-by', value: 'N', help: 'move the committed offsets by N (negative: back)' },
    { name: 'to-datetime', value: 'TIME', help: 'to the first record at or after TIME (ISO-8601 or ms)' },
    { name: 'dry-run', help: 'print the plan only (the default)' },
    { name: 'execute', help: 'commit the new offsets' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor group reset-offsets --group billing --topic orders --to-earliest --execute',
    'gregor group reset-offsets -g billing -t orders:0,1 --shift-by -10',
    'gregor group reset-offsets -g billing --all-topics --to-datetime 2026-01-01T00:00:00Z --execute',
  ],
};

const deleteSpec: CommandSpec = {
  name: 'gregor group delete',
  summary: 'Deletes consumer groups and their committed offsets. A group must have no active members.',
  options: [bootstrapOption, { ...groupOption, repeatable: true }, requestTimeoutOption, helpOption],
  examples: ['gregor group delete --group billing', 'gregor group delete -g a -g b'],
};

export function group(argv: string[]): Promise<void> {
  return dispatch(
    'group',
    'Lists, describes (with lag per partition), resets offsets of and deletes consumer groups.',
    {
      list: { summary: 'Prints every consumer group.', run: (a) => runCommand(listSpec, a, runList) },
      describe: {
        summary: 'Prints offsets, log end offsets, lag and owners per partition.',
        run: (a) => runCommand(describeSpec, a, runDescribe),
      },
      'reset-offsets': {
        summary: 'Moves committed offsets (dry run unless --execute).',
        run: (a) => runCommand(resetSpec, a, runReset),
      },
      delete: { summary: 'Deletes consumer groups.', run: (a) => runCommand(deleteSpec, a, runDelete) },
    },
    argv,
  );
}

function noPositionals(o: Options): void {
  const p = o.parsed.positionals[0];
  if (p !== undefined) throw new UsageError(`unexpected argument '${p}'`);
}

async function runList(o: Options): Promise<void> {
  noPositionals(o);
  await withClient(o, async (client) => {
    const groups = await listGroups(client);
    if (o.flag('state'))
      await out(
        `${table(
          ['GROUP', 'STATE'],
          groups.map((g) => [g.groupId, g.state || '-']),
        )}\n`,
      );
    else await out(groups.map((g) => `${g.groupId}\n`).join(''));
  });
}

async function endOffsets(
  client: KafkaClient,
  topic: string,
  partitions: number[],
): Promise<Map<number, number>> {
  try {
    return await listOffsets(client, topic, partitions, OffsetSpec.latest);
  } catch {
    return new Map();
  }
}

async function runDescribe(o: Options): Promise<void> {
  noPositionals(o);
  const ids = o.list('group');
  if (ids.length === 0) throw new UsageError('--group is required');
  await withClient(o, async (client) => {
    for (const id of ids) {
      const d = await describeGroup(client, id);
      if (d.state === 'Dead')
        throw new ClientError(
          `consumer group '${id}' does not exist — check the name with \`gregor group list\``,
        );
      if (o.flag('members')) {
        const rows = d.members.map((m) => [
          m.memberId,
          m.clientHost,
          m.clientId,
          String(m.assignment.reduce((n, a) => n + a.partitions.length, 0)),
          m.assignment.map((a) => `${a.topic}(${a.partitions.join(',')})`).join(' ') || '-',
        ]);
        await out(`${table(['GROUP-STATE', 'PROTOCOL'], [[d.state, d.protocol || '-']])}\n\n`);
        await out(`${table(['CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'], rows)}\n`);
        continue;
      }
      const owner = new Map<string, (typeof d.members)[number]>();
      for (const m of d.members)
        for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m);
      const committed = await fetchCommitted(client, id, null);
      const topics = new Map<string, Set<number>>();
      for (const [t, parts] of committed)
        for (const [p, off] of parts)
          if (off >= 0) (topics.get(t) ?? topics.set(t, new Set()).get(t)!).add(p);
      for (const m of d.members)
        for (const a of m.assignment)
          for (const p of a.partitions)
            (topics.get(a.topic) ?? topics.set(a.topic, new Set()).get(a.topic)!).add(p);
      const rows: string[][] = [];
      for (const t of [...topics.keys()].sort()) {
        const parts = [...topics.get(t)!].sort((a, b) => a - b);
        const ends = await endOffsets(client, t, parts);
        for (const p of parts) {
          const cur = committed.get(t)?.get(p) ?? -1;
          const end = ends.get(p);
          const m = owner.get(`${t}\u0000${p}`);
          rows.push([
            id,
            t,
            String(p),
            cur >= 0 ? String(cur) : '-',
            end === undefined ? '-' : String(end),
            cur >= 0 && end !== undefined ? String(Math.max(end - cur, 0)) : '-',
            m?.memberId ?? '-',
            m?.clientHost ?? '-',
            m?.clientId ?? '-',
          ]);
        }
      }
      let text = '';
      if (d.members.length === 0) text += `Consumer group '${id}' has no active members.\n\n`;
      text += `${table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows)}\n`;
      await out(text);
    }
  });
}

async function runReset(o: Options): Promise<void> {
  noPositionals(o);
  const id = o.required('group');
  const specs = [
    o.flag('to-earliest'),
    o.flag('to-latest'),
    o.has('to-offset'),
    o.has('shift-by'),
    o.has('to-datetime'),
  ].filter(Boolean).length;
  if (specs !== 1)
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime',
    );
  if (o.flag('execute') && o.flag('dry-run')) throw new UsageError('give --dry-run or --execute, not both');
  const topicArgs = o.list('topic');
  if (topicArgs.length === 0 && !o.flag('all-topics')) throw new UsageError('give --topic or --all-topics');
  if (topicArgs.length > 0 && o.flag('all-topics'))
    throw new UsageError('give --topic or --all-topics, not both');
  const toOffset = o.has('to-offset')
    ? parseIntArg('--to-offset', o.string('to-offset')!, 0, Number.MAX_SAFE_INTEGER)
    : 0;
  const shift = o.has('shift-by')
    ? parseIntArg('--shift-by', o.string('shift-by')!, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    : 0;
  const datetime = o.has('to-datetime') ? parseTime(o.string('to-datetime')!) : 0;
  await withClient(o, async (client) => {
    const d = await describeGroup(client, id);
    if (d.members.length > 0)
      throw new ClientError(
        `consumer group '${id}' has ${d.members.length} active member(s) (state ${d.state}); stop its consumers before resetting offsets`,
      );
    const committed = await fetchCommitted(client, id, null);
    const targets: { topic: string; partitions: number[] }[] = [];
    if (o.flag('all-topics'))
      for (const [t, parts] of committed)
        targets.push({ topic: t, partitions: [...parts.keys()].sort((a, b) => a - b) });
    else
      for (const arg of topicArgs) {
        const [name, list] = arg.split(':', 2) as [string, string | undefined];
        const info = await client.topic(name);
        const parts =
          list === undefined
            ? info.partitions.map((p) => p.partition)
            : list.split(',').map((s) => {
                const n = parseIntArg(`partition in --topic ${arg}`, s, 0, info.partitions.length - 1);
                return n;
              });
        targets.push({ topic: name, partitions: parts });
      }
    if (targets.length === 0)
      throw new ClientError(`consumer group '${id}' has no committed offsets; name the topics with --topic`);
    const plan: { topic: string; partition: number; offset: number }[] = [];
    for (const { topic, partitions } of targets) {
      const lo = await listOffsets(client, topic, partitions, OffsetSpec.earliest);
      const hi = await listOffsets(client, topic, partitions, OffsetSpec.latest);
      const at = o.has('to-datetime') ? await listOffsets(client, topic, partitions, datetime) : null;
      for (const p of partitions) {
        const min = lo.get(p) ?? 0;
        const max = hi.get(p) ?? 0;
        let target: number;
        if (o.flag('to-earliest')) target = min;
        else if (o.flag('to-latest')) target = max;
        else if (o.has('to-offset')) target = toOffset;
        else if (o.has('shift-by')) {
          const cur = committed.get(topic)?.get(p) ?? -1;
          target = (cur >= 0 ? cur : max) + shift;
        } else {
          const t = at!.get(p) ?? -1;
          target = t < 0 ? max : t;
        }
        plan.push({ topic, partition: p, offset: Math.min(Math.max(target, min), max) });
      }
    }
    if (o.flag('execute')) await commitOffsets(client, id, plan);
    await out(
      `${table(
        ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
        plan.map((x) => [id, x.topic, String(x.partition), String(x.offset)]),
      )}\n`,
    );
    if (!o.flag('execute')) await out('Dry run: nothing changed. Add --execute to commit these offsets.\n');
  });
}

async function runDelete(o: Options): Promise<void> {
  noPositionals(o);
  const ids = o.list('group');
  if (ids.length === 0) throw new UsageError('--group is required');
  await withClient(o, async (client) => {
    const results = await deleteGroups(client, ids);
    let failure: Error | null = null;
    for (const r of results) {
      if (r.errorCode === 0) await out(`Deleted consumer group '${r.groupId}'.\n`);
      else failure ??= brokerError(`delete consumer group '${r.groupId}'`, r.errorCode);
    }
    if (failure) throw failure;
  });
}
