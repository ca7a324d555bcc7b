import { listOffsets, OffsetSpec } from '../client/admin.js';
import type { KafkaClient } from '../client/client.js';
import { type ConsumedRecord, Fetcher } from '../client/consumer.js';
import { ClientError } from '../client/errors.js';
import { fetchCommitted, GroupMember } from '../client/group.js';
import {
  bootstrapOption,
  type CommandSpec,
  helpOption,
  type Options,
  requestTimeoutOption,
  runCommand,
  UsageError,
} from './args.js';
import { out, withClient } from './common.js';
import { compileFormat, propertyFormatter, type RecordFormatter } from './format.js';

const spec: CommandSpec = {
  name: 'gregor consume',
  summary:
    'Prints the records of a topic to stdout, one per line (the value, unless -f or --property say otherwise).',
  details: `Without --group it reads every partition (or --partition) from the start position and commits
nothing. With --group it joins the consumer group (classic protocol, range assignor), starts
from the group's committed offsets (or --from-beginning / the end when it has none), commits
what it printed every --commit-interval-ms and on exit, and leaves the group on exit.
It stops after --max-messages, at the end of the partitions with --exit-at-end, after
--timeout-ms without a record, or on Ctrl-C; then it prints "Processed a total of N messages"
to stderr.

Start positions (--offset): earliest|beginning, latest|end, N (an absolute offset), -N (N before
the end), @MS or --timestamp MS|ISO-8601 (the first record at or after that time).`,
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'topic to read (required)' },
    {
      name: 'partition',
      short: 'p',
      value: 'N',
      repeatable: true,
      default: 'every partition',
      help: 'read only this partition (not with --group)',
    },
    {
      name: 'group',
      short: 'G',
      value: 'ID',
      help: 'consume as a member of this consumer group and commit offsets',
    },
    {
      name: 'from-beginning',
      help: 'start at the earliest offset (with --group: when nothing is committed)',
    },
    { name: 'offset', short: 'o', value: 'SPEC', default: 'latest', help: 'start position, see above' },
    {
      name: 'timestamp',
      value: 'TIME',
      help: 'start at the first record at or after TIME (ms since the epoch, or ISO-8601)',
    },
    { name: 'max-messages', short: 'c', value: 'N', default: 'no limit', help: 'exit after N records' },
    { name: 'exit-at-end', short: 'e', help: 'exit when every partition has been read to its end' },
    {
      name: 'timeout-ms',
      value: 'MS',
      default: 'no timeout',
      help: 'exit when no record arrived for this long',
    },
    {
      name: 'format',
      short: 'f',
      value: 'FMT',
      help: 'kcat-style output format: %t topic, %p partition, %o offset, %T timestamp, %k key, %K key length, %s value, %S value length, %h headers, %% and \\n \\t escapes',
    },
    {
      name: 'property',
      value: 'k=v',
      repeatable: true,
      help: 'kafka-console-consumer formatting: print.key, print.timestamp, print.partition, print.offset, print.headers, print.value (=true|false), key.separator, line.separator, null.literal',
    },
    {
      name: 'isolation-level',
      value: 'LEVEL',
      default: 'read_uncommitted',
      help: 'read_committed hides records of open and aborted transactions',
    },
    { name: 'commit-interval-ms', value: 'MS', default: '5000', help: 'how often a group member commits' },
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor consume --topic orders --from-beginning --max-messages 10',
    "gregor consume -t orders -o -5 -e -f '%p:%o %k=%s\\n'",
    'gregor consume -t orders --group billing --from-beginning',
    'gregor consume -t orders --timestamp 2026-01-01T00:00:00Z -e --property print.key=true',
  ],
};

export function consume(argv: string[]): Promise<void> {
  return runCommand(spec, argv, run);
}

/** Output is written in pieces of about this many characters. */
const OUTPUT_CHUNK_CHARS = 65_536;

type StartSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'fromEnd'; n: number }
  | { kind: 'timestamp'; ms: number };

export function parseTime(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms))
    throw new UsageError(`--timestamp must be milliseconds since the epoch or ISO-8601, got '${v}'`);
  return ms;
}

function parseStart(o: Options): StartSpec | null {
  const given = [o.flag('from-beginning'), o.has('offset'), o.has('timestamp')].filter(Boolean).length;
  if (given > 1) throw new UsageError('give only one of --from-beginning, --offset and --timestamp');
  if (o.flag('from-beginning')) return { kind: 'earliest' };
  const ts = o.string('timestamp');
  if (ts !== undefined) return { kind: 'timestamp', ms: parseTime(ts) };
  const v = o.string('offset');
  if (v === undefined) return null;
  if (v === 'earliest' || v === 'beginning') return { kind: 'earliest' };
  if (v === 'latest' || v === 'end') return { kind: 'latest' };
  if (v.startsWith('@')) return { kind: 'timestamp', ms: parseTime(v.slice(1)) };
  if (/^-\d+$/.test(v)) return { kind: 'fromEnd', n: -Number(v) };
  if (/^\d+$/.test(v)) return { kind: 'offset', offset: Number(v) };
  throw new UsageError(`--offset must be earliest, latest, N, -N or @TIMESTAMP, got '${v}'`);
}

/** Start offsets of partitions for a start spec. */
async function resolveStart(
  client: KafkaClient,
  topic: string,
  partitions: number[],
  start: StartSpec,
): Promise<Map<number, number>> {
  if (partitions.length === 0) return new Map();
  switch (start.kind) {
    case 'earliest':
      return listOffsets(client, topic, partitions, OffsetSpec.earliest);
    case 'latest':
      return listOffsets(client, topic, partitions, OffsetSpec.latest);
    case 'offset': {
      // Clamp into [earliest, latest] as kcat does for out-of-range absolute offsets.
      const lo = await listOffsets(client, topic, partitions, OffsetSpec.earliest);
      const hi = await listOffsets(client, topic, partitions, OffsetSpec.latest);
      return new Map(
        partitions.map((p) => [p, Math.min(Math.max(start.offset, lo.get(p) ?? 0), hi.get(p) ?? 0)]),
      );
    }
    case 'fromEnd': {
      const lo = await listOffsets(client, topic, partitions, OffsetSpec.earliest);
      const hi = await listOffsets(client, topic, partitions, OffsetSpec.latest);
      return new Map(partitions.map((p) => [p, Math.max((hi.get(p) ?? 0) - start.n, lo.get(p) ?? 0)]));
    }
    case 'timestamp': {
      const at = await listOffsets(client, topic, partitions, start.ms);
      const hi = await listOffsets(client, topic, partitions, OffsetSpec.latest);
      return new Map(partitions.map((p) => [p, (at.get(p) ?? -1) < 0 ? (hi.get(p) ?? 0) : at.get(p)!]));
    }
  }
}

async function run(o: Options): Promise<void> {
  const p0 = o.parsed.positionals[0];
  if (p0 !== undefined) throw new UsageError(`unexpected argument '${p0}'`);
  const topic = o.required('topic');
  const group = o.string('group');
  const onlyPartitions = o.list('partition').map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`--partition must be a partition number, got '${v}'`);
    return n;
  });
  if (group !== undefined && onlyPartitions.length > 0)
    throw new UsageError('--partition cannot be combined with --group (the group assigns partitions)');
  const start = parseStart(o);
  // --from-beginning applies to a group only where nothing is committed; --offset/--timestamp always.
  const overrideCommitted = start !== null && !o.flag('from-beginning');
  const maxMessages = o.int('max-messages', -1, 0);
  const exitAtEnd = o.flag('exit-at-end');
  const timeoutMs = o.int('timeout-ms', -1, 1);
  const commitIntervalMs = o.int('commit-interval-ms', 5000, 1);
  const iso = o.string('isolation-level') ?? 'read_uncommitted';
  if (iso !== 'read_uncommitted' && iso !== 'read_committed')
    throw new UsageError(`--isolation-level must be read_uncommitted or read_committed, got '${iso}'`);
  const fmt = o.string('format');
  const props = o.pairs('property');
  if (fmt !== undefined && Object.keys(props).length > 0)
    throw new UsageError('give either --format or --property, not both');
  const formatter: RecordFormatter = fmt !== undefined ? compileFormat(fmt) : propertyFormatter(props);

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let printed = 0;
  try {
    await withClient(o, async (client) => {
      const info = await client.topic(topic);
      for (const p of onlyPartitions)
        if (p >= info.partitions.length)
          throw new ClientError(`topic '${topic}' has no partition ${p} (it has ${info.partitions.length})`);
      const fetcher = new Fetcher(client, {
        isolationLevel: iso === 'read_committed' ? 1 : 0,
        resetTo: start?.kind === 'earliest' ? 'earliest' : 'latest',
      });
      const member =
        group !== undefined ? new GroupMember(client, { groupId: group, topics: [topic] }) : null;
      /** Offsets printed, to commit: partition → next offset. */
      const consumed = new Map<number, number>();
      let committed = new Map<number, number>();

      const assign = async (): Promise<void> => {
        let parts: number[];
        if (member) parts = (await member.join()).filter((a) => a.topic === topic).map((a) => a.partition);
        else parts = onlyPartitions.length > 0 ? onlyPartitions : info.partitions.map((p) => p.partition);
        let offsets: Map<number, number>;
        if (member) {
          const c =
            (await fetchCommitted(client, member.groupId, [{ topic, partitions: parts }])).get(topic) ??
            new Map<number, number>();
          const missing = parts.filter((p) => (c.get(p) ?? -1) < 0 || overrideCommitted);
          const fill = await resolveStart(client, topic, missing, start ?? { kind: 'latest' });
          offsets = new Map(parts.map((p) => [p, fill.get(p) ?? c.get(p)!]));
        } else offsets = await resolveStart(client, topic, parts, start ?? { kind: 'latest' });
        fetcher.assign(parts.map((p) => ({ topic, partition: p, offset: offsets.get(p)! })));
        consumed.clear();
        committed = new Map();
        // A member commits its start positions too (as Kafka's auto-commit does), so a reset to
        // the end is remembered even when nothing arrives.
        for (const p of parts) consumed.set(p, offsets.get(p)!);
      };

      const commit = async (): Promise<void> => {
        if (!member) return;
        const list = [...consumed]
          .filter(([p, off]) => committed.get(p) !== off)
          .map(([partition, offset]) => ({ topic, partition, offset }));
        if (list.length === 0) return;
        await member.commit(list);
        for (const x of list) committed.set(x.partition, x.offset);
      };

      await assign();
      let lastRecordAt = Date.now();
      let lastCommitAt = Date.now();
      try {
        while (!stopping) {
          if (maxMessages >= 0 && printed >= maxMessages) break;
          if (exitAtEnd && fetcher.positions.size === 0) break;
          if (exitAtEnd && fetcher.atEnd()) break;
          if (member?.heartbeatError) throw member.heartbeatError;
          if (member?.rejoinNeeded) {
            await commit().catch(() => {});
            await assign();
          }
          const records: ConsumedRecord[] =
            fetcher.positions.size === 0 ? await idle() : await fetcher.poll();
          let cut = false;
          let text = '';
          for (const r of records) {
            if (maxMessages >= 0 && printed >= maxMessages) {
              cut = true;
              break;
            }
            text += formatter(r);
            printed++;
            consumed.set(r.partition, r.offset + 1);
            // One write per OUTPUT_CHUNK_CHARS of output, not per record.
            if (text.length >= OUTPUT_CHUNK_CHARS) {
              await out(text);
              text = '';
            }
          }
          if (text) await out(text);
          // Everything fetched was printed: the fetch positions (past control batches too) are done.
          if (!cut) for (const pos of fetcher.positions.values()) consumed.set(pos.partition, pos.offset);
          // Without a group, positions beyond the printed records do not matter; with one, commit what was printed.
          if (records.length > 0) lastRecordAt = Date.now();
          else if (timeoutMs >= 0 && Date.now() - lastRecordAt >= timeoutMs) break;
          if (member && Date.now() - lastCommitAt >= commitIntervalMs) {
            await commit();
            lastCommitAt = Date.now();
          }
        }
        await commit();
      } finally {
        if (member) await member.leave().catch(() => {});
      }
    });
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    process.stderr.write(`Processed a total of ${printed} messages\n`);
  }
}

function idle(): Promise<ConsumedRecord[]> {
  return new Promise((resolve) => setTimeout(() => resolve([]), 500));
}
