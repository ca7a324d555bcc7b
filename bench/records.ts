/**
 * Record-batch throughput.
 *
 *   npm run build && node dist/bench/records.js
 *
 * - validateRecords on a 16 KiB uncompressed batch (the produce hot path: headers + CRC-32C only),
 *   and on a 1 MiB one;
 * - buildBatch and decodeBatch of a 16 KiB records section per codec (tools, coordinators and
 *   broker-side recompression, not the hot path).
 *
 * Prints figures only; never asserts on time.
 */
import { buildBatch, buildBatchSync, type RecordInput } from '../src/protocol/records/builder.js';
import type { CompressionName } from '../src/protocol/records/compression.js';
import { decodeBatch } from '../src/protocol/records/records.js';
import { validateRecords } from '../src/protocol/records/validate.js';

const RUN_MS = 1000;

/** Records of `valueBytes` each, ~`totalBytes` in all, compressible like typical JSON-ish values. */
function sampleRecords(totalBytes: number, valueBytes: number): RecordInput[] {
  const records: RecordInput[] = [];
  const t0 = Date.now();
  for (let i = 0; i * (valueBytes + 20) < totalBytes; i++) {
    const text = `{"id":${i},"user":"user-${i % 97}","event":"click","path":"/items/${i % 13}","n":${i * 7}}`;
    records.push({
      key: `key-${i}`,
      value: text.padEnd(valueBytes, ' ').slice(0, valueBytes),
      timestamp: t0 + i,
    });
  }
  return records;
}

async function timed(run: () => unknown): Promise<{ ops: number; seconds: number }> {
  for (let i = 0; i < 50; i++) await run(); // warm-up
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < RUN_MS * 1e6) {
    for (let i = 0; i < 20; i++) await run();
    ops += 20;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return { ops, seconds: elapsed / 1e9 };
}

function timedSync(run: () => unknown): { ops: number; seconds: number } {
  for (let i = 0; i < 1000; i++) run(); // warm-up
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < RUN_MS * 1e6) {
    for (let i = 0; i < 200; i++) run();
    ops += 200;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return { ops, seconds: elapsed / 1e9 };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const config = { maxMessageBytes: 2 << 20 };

console.log('validateRecords (headers + CRC-32C, no record decoding)');
for (const [label, total] of [
  ['16 KiB', 16 << 10],
  ['1 MiB', 1 << 20],
] as const) {
  const batch = buildBatchSync(sampleRecords(total, 100));
  const check = validateRecords(batch, config);
  if (!check.ok) throw check.error;
  const { ops, seconds } = timedSync(() => validateRecords(batch, config));
  console.log(
    `  ${label.padEnd(7)} batch (${fmt(batch.length)} B): ${fmt(ops / seconds)} batches/s, ${fmt((ops * batch.length) / seconds / 1e9, 2)} GB/s`,
  );
}

console.log('\nbuildBatch / decodeBatch, 16 KiB of records (~134 × 100 B values)');
console.log(
  `  ${'codec'.padEnd(7)} ${'batch B'.padStart(8)}  ${'build/s'.padStart(9)} ${'MB/s'.padStart(7)}  ${'decode/s'.padStart(9)} ${'MB/s'.padStart(7)}`,
);
const records = sampleRecords(16 << 10, 100);
const rawBytes = buildBatchSync(records).length;
for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
  const batch = await buildBatch(records, { compression: codec });
  const build = await timed(() => buildBatch(records, { compression: codec }));
  const decode = await timed(() => decodeBatch(batch));
  console.log(
    `  ${codec.padEnd(7)} ${fmt(batch.length).padStart(8)}  ${fmt(build.ops / build.seconds).padStart(9)} ${fmt((build.ops * rawBytes) / build.seconds / 1e6).padStart(7)}  ${fmt(decode.ops / decode.seconds).padStart(9)} ${fmt((decode.ops * rawBytes) / decode.seconds / 1e6).padStart(7)}`,
  );
}
