import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ClientError } from '../client/errors.js';
import { partitionForKey } from '../client/partitioner.js';
import { Producer } from '../client/producer.js';
import type { RecordInput } from '../protocol/records/builder.js';
import type { CompressionName } from '../protocol/records/compression.js';
import {
  bootstrapOption,
  type CommandSpec,
  helpOption,
  type Options,
  requestTimeoutOption,
  runCommand,
  UsageError,
  unescapeArg,
} from './args.js';
import { withClient } from './common.js';

/** Longest input line accepted (one record), unless --max-record-bytes says otherwise. */
export const PRODUCE_MAX_RECORD_BYTES_DEFAULT = 1_048_576;

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

const spec: CommandSpec = {
  name: 'gregor produce',
  summary:
    'Sends one record per input line (stdin, or --file) to a topic. With a key separator each line is KEY<sep>VALUE; lines without the separator are an error.',
  details: `Records without a key go round-robin over the partitions; keyed records go to
murmur2(key) % partitions, as with the Java client. With acks=all the producer is idempotent, as
the Java producer is since Kafka 3.0: a batch retried after a lost answer is written once.
Nothing is printed on success; a failed batch prints the broker's error and the exit status is 1.`,
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'topic to write to (required)' },
    { name: 'file', value: 'PATH', default: 'stdin', help: 'read lines from this file' },
    {
      name: 'key-separator',
      short: 'K',
      value: 'SEP',
      help: 'split each line into key and value at the first SEP (\\t for a tab)',
    },
    { name: 'header', short: 'H', value: 'k=v', repeatable: true, help: 'a header added to every record' },
    {
      name: 'partition',
      short: 'p',
      value: 'N',
      default: 'by key, else round-robin',
      help: 'write every record to this partition',
    },
    {
      name: 'compression-codec',
      short: 'z',
      value: 'CODEC',
      default: 'none',
      help: `batch compression: ${COMPRESSIONS.join(', ')}`,
    },
    {
      name: 'acks',
      value: 'ACKS',
      default: 'all',
      help: 'all (-1), 1 (leader only) or 0 (no acknowledgement)',
    },
    {
      name: 'batch-size',
      value: 'BYTES',
      default: '16384',
      help: 'bytes per partition batch before it is sent',
    },
    { name: 'linger-ms', value: 'MS', default: '5', help: 'longest a record waits for its batch to fill' },
    {
      name: 'property',
      value: 'k=v',
      repeatable: true,
      help: 'kafka-console-producer line parsing: parse.key=true, key.separator=SEP, parse.headers=true, headers.delimiter=SEP, headers.separator=SEP, headers.key.separator=SEP, null.marker=TEXT',
    },
    {
      name: 'producer-property',
      value: 'k=v',
      repeatable: true,
      help: 'producer settings as Kafka names them: enable.idempotence=true|false (default true with acks=all: a batch retried after a lost response is written once)',
    },
    {
      name: 'max-record-bytes',
      value: 'BYTES',
      default: String(PRODUCE_MAX_RECORD_BYTES_DEFAULT),
      help: 'longest line accepted',
    },
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'echo hello | gregor produce --topic greetings',
    "printf 'k1:v1\\nk2:v2\\n' | gregor produce -t orders -K : --acks 1 -z lz4",
    'gregor produce -t audit --file events.txt -H source=import --partition 0',
    "printf 'h1:a,h2:b\\tkey\\tvalue\\n' | gregor produce -t t --property parse.headers=true --property parse.key=true",
    'seq 1000 | gregor produce -t plain --producer-property enable.idempotence=false',
  ],
};

export function produce(argv: string[]): Promise<void> {
  return runCommand(spec, argv, run);
}

/** "\t", "\n", "\\" in separators given on the command line. */

export function parseAcks(v: string | undefined): number {
  if (v === undefined || v === 'all' || v === '-1') return -1;
  if (v === '0') return 0;
  if (v === '1') return 1;
  throw new UsageError(`--acks must be all, -1, 0 or 1, got '${v}'`);
}

/**
 * enable.idempotence as the Java producer (3.0+) resolves it: on by default, off without a word
 * when acks was set to something other than all, and an error when asked for with such acks.
 */
export function parseIdempotence(o: Options, acks: number): boolean {
  const props = o.pairs('producer-property');
  for (const k of Object.keys(props))
    if (k !== 'enable.idempotence')
      throw new UsageError(`unknown --producer-property '${k}' (known: enable.idempotence)`);
  const v = props['enable.idempotence'];
  if (v === undefined) return acks === -1;
  if (v !== 'true' && v !== 'false')
    throw new UsageError(`--producer-property enable.idempotence must be true or false, got '${v}'`);
  if (v === 'true' && acks !== -1)
    throw new UsageError('enable.idempotence=true needs --acks all: set acks to all or idempotence to false');
  return v === 'true';
}

export function parseCompression(v: string | undefined): CompressionName {
  const c = v ?? 'none';
  if (!(COMPRESSIONS as readonly string[]).includes(c))
    throw new UsageError(`--compression-codec must be one of ${COMPRESSIONS.join(', ')}, got '${c}'`);
  return c as CompressionName;
}

interface LineFormat {
  keySeparator: string | null;
  headersDelimiter: string | null;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | null;
  fixedHeaders: { key: string; value: Buffer }[];
}

function lineFormat(o: Options): LineFormat {
  const props = o.pairs('property');
  const known = [
    'parse.key',
    'key.separator',
    'parse.headers',
    'headers.delimiter',
    'headers.separator',
    'headers.key.separator',
    'null.marker',
  ];
  for (const k of Object.keys(props))
    if (!known.includes(k)) throw new UsageError(`unknown --property '${k}' (known: ${known.join(', ')})`);
  let keySeparator: string | null = null;
  const k = o.string('key-separator');
  if (k !== undefined) keySeparator = unescapeArg(k);
  if (props['parse.key'] === 'true') keySeparator ??= unescapeArg(props['key.separator'] ?? '\\t');
  if (keySeparator === '') throw new UsageError('the key separator cannot be empty');
  return {
    keySeparator,
    headersDelimiter:
      props['parse.headers'] === 'true' ? unescapeArg(props['headers.delimiter'] ?? '\\t') : null,
    headersSeparator: unescapeArg(props['headers.separator'] ?? ','),
    headersKeySeparator: unescapeArg(props['headers.key.separator'] ?? ':'),
    nullMarker: props['null.marker'] ?? null,
    fixedHeaders: Object.entries(o.pairs('header')).map(([key, value]) => ({
      key,
      value: Buffer.from(value),
    })),
  };
}

/** One input line → a record; throws ClientError naming the line when it does not parse. */
function parseLine(line: string, n: number, f: LineFormat): RecordInput {
  let rest = line;
  const headers: { key: string; value: Buffer | null }[] = [...f.fixedHeaders];
  if (f.headersDelimiter !== null) {
    const at = rest.indexOf(f.headersDelimiter);
    if (at < 0)
      throw new ClientError(`line ${n}: no headers delimiter ${JSON.stringify(f.headersDelimiter)}`);
    const text = rest.slice(0, at);
    rest = rest.slice(at + f.headersDelimiter.length);
    if (text.length > 0)
      for (const h of text.split(f.headersSeparator)) {
        const kAt = h.indexOf(f.headersKeySeparator);
        if (kAt < 0) headers.push({ key: h, value: null });
        else
          headers.push({
            key: h.slice(0, kAt),
            value: Buffer.from(h.slice(kAt + f.headersKeySeparator.length)),
          });
      }
  }
  let key: Buffer | null = null;
  if (f.keySeparator !== null) {
    const at = rest.indexOf(f.keySeparator);
    if (at < 0)
      throw new ClientError(
        `line ${n}: no key separator ${JSON.stringify(f.keySeparator)} (every line must be KEY${f.keySeparator}VALUE)`,
      );
    const k = rest.slice(0, at);
    key = f.nullMarker !== null && k === f.nullMarker ? null : Buffer.from(k);
    rest = rest.slice(at + f.keySeparator.length);
  }
  const value = f.nullMarker !== null && rest === f.nullMarker ? null : Buffer.from(rest);
  return headers.length > 0 ? { key, value, headers } : { key, value };
}

/** Lines of a stream, each at most maxBytes (a longer one throws); a last line without \n counts. */
async function* lines(input: Readable, maxBytes: number): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let n = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      pendingBytes += end - start;
      if (pendingBytes > maxBytes)
        throw new ClientError(`line ${n + 1} is longer than ${maxBytes} bytes (raise --max-record-bytes)`);
      if (nl < 0) {
        if (end > start) pending.push(chunk.subarray(start, end));
        break;
      }
      pending.push(chunk.subarray(start, end));
      n++;
      yield Buffer.concat(pending, pendingBytes).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes).toString('utf8');
}

async function run(o: Options): Promise<void> {
  const p0 = o.parsed.positionals[0];
  if (p0 !== undefined) throw new UsageError(`unexpected argument '${p0}'`);
  const topic = o.required('topic');
  const acks = parseAcks(o.string('acks'));
  const idempotent = parseIdempotence(o, acks);
  const compression = parseCompression(o.string('compression-codec'));
  const fixedPartition = o.int('partition', -1, 0, 1_000_000);
  const batchSize = o.int('batch-size', 16_384, 1, 1_073_741_824);
  const lingerMs = o.int('linger-ms', 5, 0, 3_600_000);
  const maxBytes = o.int('max-record-bytes', PRODUCE_MAX_RECORD_BYTES_DEFAULT, 1, 1_073_741_824);
  const format = lineFormat(o);
  const file = o.string('file');
  const input: Readable = file === undefined ? process.stdin : createReadStream(file);
  await withClient(o, async (client) => {
    const producer = new Producer(client, { acks, compression, batchSize, lingerMs, idempotent });
    const partitions = await producer.partitions(topic);
    if (fixedPartition >= partitions)
      throw new ClientError(`topic '${topic}' has no partition ${fixedPartition} (it has ${partitions})`);
    try {
      let n = 0;
      let rr = 0;
      for await (const line of lines(input, maxBytes)) {
        n++;
        const record = parseLine(line, n, format);
        const partition =
          fixedPartition >= 0
            ? fixedPartition
            : record.key
              ? partitionForKey(record.key as Buffer, partitions)
              : rr++ % partitions;
        if (!producer.send(topic, partition, record)) await producer.waitForRoom();
        if (producer.error) break;
      }
      await producer.flush();
    } finally {
      producer.close();
    }
    if (producer.error)
      throw new ClientError(
        `${producer.failed} of ${producer.failed + producer.acked} records failed: ${producer.error.message}`,
      );
  });
}
