import { randomBytes } from 'node:crypto';
import { listOffsets, OffsetSpec } from '../client/admin.js';
import { sleep } from '../client/client.js';
import { Fetcher } from '../client/consumer.js';
import { ClientError } from '../client/errors.js';
import { type BatchAck, Producer } from '../client/producer.js';
import {
  bootstrapOption,
  type CommandSpec,
  dispatch,
  helpOption,
  type Options,
  requestTimeoutOption,
  runCommand,
  UsageError,
} from './args.js';
import { out, withClient } from './common.js';
import { COMPRESSIONS, parseAcks, parseCompression } from './produce.js';

/** Latency samples kept for the percentiles (every k-th record when there are more records). */
export const PERF_LATENCY_SAMPLES_MAX = 500_000;

const intervalOption = {
  name: 'reporting-interval',
  value: 'MS',
  default: '5000',
  help: 'print a progress line this often',
};

const produceSpec: CommandSpec = {
  name: 'gregor perf produce',
  summary:
    'Sends --num-records records of --record-size random bytes as fast as allowed and reports throughput and latency (like kafka-producer-perf-test.sh).',
  details: `Prints a progress line per --reporting-interval:
  N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.
and at the end:
  N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.
Latency is from handing a record to the producer to its batch's acknowledgement. MB is 2^20 bytes
of record values.`,
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'topic to write to (required; must exist)' },
    { name: 'num-records', value: 'N', help: 'records to send (required)' },
    { name: 'record-size', value: 'BYTES', default: '100', help: 'value size of each record' },
    { name: 'throughput', value: 'N', default: '-1 (no limit)', help: 'cap in records/sec' },
    { name: 'acks', value: 'ACKS', default: 'all', help: 'all (-1), 1 or 0' },
    { name: 'compression-codec', short: 'z', value: 'CODEC', default: 'none', help: COMPRESSIONS.join(', ') },
    { name: 'batch-size', value: 'BYTES', default: '16384', help: 'batch.size' },
    { name: 'linger-ms', value: 'MS', default: '5', help: 'linger.ms' },
    { name: 'max-in-flight', value: 'N', default: '5', help: 'produce requests in flight per broker' },
    intervalOption,
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor perf produce --topic bench --num-records 1000000 --record-size 100',
    'gregor perf produce -t bench --num-records 100000 --throughput 20000 --acks 1 -z lz4 --reporting-interval 1000',
  ],
};

const consumeSpec: CommandSpec = {
  name: 'gregor perf consume',
  summary:
    'Reads --messages records from the start of every partition of a topic and reports MB/s and records/s (like kafka-consumer-perf-test.sh).',
  details: `Prints a progress line per --reporting-interval and at the end:
  N records consumed, R records/sec, M MB/sec (B MB in S s)
It stops after --messages records, or with an error (exit 1) when no record arrives for --timeout ms.`,
  options: [
    bootstrapOption,
    { name: 'topic', short: 't', value: 'NAME', help: 'topic to read (required)' },
    { name: 'messages', value: 'N', default: 'every record up to the end', help: 'records to read' },
    { name: 'timeout', value: 'MS', default: '10000', help: 'give up when nothing arrives for this long' },
    { name: 'fetch-max-bytes', value: 'BYTES', default: '52428800', help: 'fetch.max.bytes' },
    { name: 'partition-max-bytes', value: 'BYTES', default: '1048576', help: 'max.partition.fetch.bytes' },
    intervalOption,
    requestTimeoutOption,
    helpOption,
  ],
  examples: [
    'gregor perf consume --topic bench --messages 1000000',
    'gregor perf consume -t bench --reporting-interval 1000',
  ],
};

export function perf(argv: string[]): Promise<void> {
  return dispatch(
    'perf',
    'Load tests: producer and consumer throughput and latency.',
    {
      produce: {
        summary: 'Producer throughput and latency percentiles.',
        run: (a) => runCommand(produceSpec, a, runProduce),
      },
      consume: { summary: 'Consumer throughput.', run: (a) => runCommand(consumeSpec, a, runConsume) },
    },
    argv,
  );
}

const MB = 1024 * 1024;

function fmt(n: number, digits: number): string {
  return n.toFixed(digits);
}

async function runProduce(o: Options): Promise<void> {
  const p0 = o.parsed.positionals[0];
  if (p0 !== undefined) throw new UsageError(`unexpected argument '${p0}'`);
  const topic = o.required('topic');
  const num = o.int('num-records', -1, 1);
  if (num < 0) throw new UsageError('--num-records is required');
  const size = o.int('record-size', 100, 0, 104_857_600);
  const throughput = o.int('throughput', -1, -1);
  if (throughput === 0) throw new UsageError('--throughput must be positive, or -1 for no limit');
  const acks = parseAcks(o.string('acks'));
  const compression = parseCompression(o.string('compression-codec'));
  const interval = o.int('reporting-interval', 5000, 1);
  const maxInFlight = o.int('max-in-flight', 5, 1, 1000);
  const batchSize = o.int('batch-size', 16_384, 1);
  const lingerMs = o.int('linger-ms', 5, 0);
  const value = randomBytes(size);
  const sampleEvery = Math.max(1, Math.ceil(num / PERF_LATENCY_SAMPLES_MAX));
  const samples = new Float64Array(Math.ceil(num / sampleEvery));
  let sampleCount = 0;
  let seen = 0; // records acknowledged or failed, in ack order
  // Totals, and the same for the current window.
  let totalLatency = 0;
  let maxLatency = 0;
  let acked = 0;
  let wCount = 0;
  let wLatency = 0;
  let wMax = 0;
  let wStart = performance.now();
  const lines: string[] = [];
  const onAck = (err: Error | null, ack: BatchAck): void => {
    const now = performance.now();
    const times = ack.times!;
    for (let i = 0; i < times.length; i++) {
      const lat = now - times[i]!;
      if (seen % sampleEvery === 0 && sampleCount < samples.length) samples[sampleCount++] = lat;
      seen++;
      if (err) continue;
      totalLatency += lat;
      wLatency += lat;
      if (lat > maxLatency) maxLatency = lat;
      if (lat > wMax) wMax = lat;
    }
    if (!err) {
      acked += ack.count;
      wCount += ack.count;
    }
  };
  const report = (): void => {
    const now = performance.now();
    const secs = (now - wStart) / 1000;
    lines.push(
      `${wCount} records sent, ${fmt(wCount / secs, 1)} records/sec (${fmt((wCount * size) / MB / secs, 2)} MB/sec), ${fmt(wCount > 0 ? wLatency / wCount : 0, 1)} ms avg latency, ${fmt(wMax, 1)} ms max latency.\n`,
    );
    wCount = 0;
    wLatency = 0;
    wMax = 0;
    wStart = now;
  };
  await withClient(
    o,
    async (client) => {
      const producer = new Producer(client, {
        acks,
        compression,
        batchSize,
        lingerMs,
        maxInFlight,
        trackTimes: true,
        onAck,
      });
      const partitions = await producer.partitions(topic);
      const start = performance.now();
      const timer = setInterval(() => {
        report();
        const text = lines.splice(0).join('');
        if (text) process.stdout.write(text);
      }, interval);
      try {
        for (let i = 0; i < num; i++) {
          if (throughput > 0) {
            const ahead = i / throughput - (performance.now() - start) / 1000;
            if (ahead > 0.002) await sleep(ahead * 1000);
          }
          if (!producer.send(topic, i % partitions, { value })) await producer.waitForRoom();
          if (producer.error) break;
          // Yield now and then so timers (progress lines, linger) and socket reads run.
          if ((i & 1023) === 1023) await new Promise<void>((r) => setImmediate(r));
        }
        await producer.flush();
      } finally {
        clearInterval(timer);
        producer.close();
      }
      const secs = (performance.now() - start) / 1000;
      if (producer.error)
        throw new ClientError(
          `${producer.failed} of ${producer.failed + producer.acked} records failed: ${producer.error.message}`,
        );
      const sorted = samples.subarray(0, sampleCount).sort();
      const pct = (q: number): number =>
        sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      await out(lines.splice(0).join(''));
      await out(
        `${acked} records sent, ${fmt(acked / secs, 1)} records/sec (${fmt((acked * size) / MB / secs, 2)} MB/sec), ${fmt(acked > 0 ? totalLatency / acked : 0, 2)} ms avg latency, ${fmt(maxLatency, 2)} ms max latency, ${fmt(pct(0.5), 0)} ms 50th, ${fmt(pct(0.95), 0)} ms 95th, ${fmt(pct(0.99), 0)} ms 99th, ${fmt(pct(0.999), 0)} ms 99.9th.\n`,
      );
    },
    { maxInFlight },
  );
}

async function runConsume(o: Options): Promise<void> {
  const p0 = o.parsed.positionals[0];
  if (p0 !== undefined) throw new UsageError(`unexpected argument '${p0}'`);
  const topic = o.required('topic');
  const wanted = o.int('messages', -1, 1);
  const timeout = o.int('timeout', 10_000, 1);
  const interval = o.int('reporting-interval', 5000, 1);
  const maxBytes = o.int('fetch-max-bytes', 52_428_800, 1);
  const partitionMaxBytes = o.int('partition-max-bytes', 1_048_576, 1);
  await withClient(o, async (client) => {
    const info = await client.topic(topic);
    const parts = info.partitions.map((p) => p.partition);
    const starts = await listOffsets(client, topic, parts, OffsetSpec.earliest);
    const fetcher = new Fetcher(client, { maxBytes, partitionMaxBytes, maxWaitMs: 100 });
    fetcher.assign(parts.map((p) => ({ topic, partition: p, offset: starts.get(p) ?? 0 })));
    const start = performance.now();
    let count = 0;
    let bytes = 0;
    let wCount = 0;
    let wBytes = 0;
    let wStart = start;
    let lastRecord = start;
    for (;;) {
      if (wanted > 0 && count >= wanted) break;
      if (wanted < 0 && fetcher.atEnd()) break;
      const records = await fetcher.poll();
      const now = performance.now();
      for (const r of records) {
        if (wanted > 0 && count >= wanted) break;
        const n = (r.key ? r.key.length : 0) + (r.value ? r.value.length : 0);
        count++;
        bytes += n;
        wCount++;
        wBytes += n;
      }
      if (records.length > 0) lastRecord = now;
      else if (now - lastRecord > timeout)
        throw new ClientError(
          `no record arrived for ${timeout} ms after ${count} records (is the topic shorter than --messages?)`,
        );
      if (now - wStart >= interval) {
        const s = (now - wStart) / 1000;
        await out(
          `${wCount} records consumed, ${fmt(wCount / s, 1)} records/sec, ${fmt(wBytes / MB / s, 2)} MB/sec\n`,
        );
        wCount = 0;
        wBytes = 0;
        wStart = now;
      }
    }
    const secs = (performance.now() - start) / 1000;
    await out(
      `${count} records consumed, ${fmt(count / secs, 1)} records/sec, ${fmt(bytes / MB / secs, 2)} MB/sec (${fmt(bytes / MB, 2)} MB in ${fmt(secs, 2)} s)\n`,
    );
  });
}
