/**
 * Storage engine figures (printed, never pass/fail):
 *   - append throughput of 1 KiB records in 16 KiB and 1 MiB batches (page-cache mode), in MB/s and
 *     as a ratio to a raw sequential writeSync of the same bytes to the same disk in the same run,
 *     plus the same raw write through the thread pool (fs.write) to show why appends are synchronous;
 *   - the JavaScript cost of one 16 KiB append with fs.writeSync stubbed out (no disk, so it is the
 *     steady figure on a noisy machine: the per-append overhead the ratio above is made of);
 *   - read throughput from the page cache (Log.read, positioned readSync) vs. async fs.read;
 *   - fsync-mode append latency p50/p99 with group commit under 1, 8 and 64 concurrent appenders.
 *
 *   npm run bench:storage          (GREGOR_BENCH_DIR picks the disk; default the OS temp dir)
 */
import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatchSync } from '../src/protocol/records/builder.js';
import { defaultLogConfig } from '../src/storage/config.js';
import { Log } from '../src/storage/log.js';

const base = fs.mkdtempSync(join(process.env.GREGOR_BENCH_DIR ?? tmpdir(), 'gregor-bench-storage-'));
const TOTAL = Number(process.env.GREGOR_BENCH_STORAGE_MB ?? 256) * 1024 * 1024;
const mb = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1e3);
const fmt = (x: number, d = 1) => x.toFixed(d);

function batchOf(records: number): Buffer {
  const value = Buffer.alloc(1024 - 16, 0x61);
  return buildBatchSync(
    Array.from({ length: records }, (_, i) => ({ key: `key-${i}`.padEnd(12, '.'), value })),
    { baseTimestamp: Date.now() },
  );
}

function rawWriteSync(path: string, chunk: Buffer, total: number): number {
  const fd = fs.openSync(path, 'w');
  const t0 = performance.now();
  for (let pos = 0; pos < total; pos += chunk.length) fs.writeSync(fd, chunk, 0, chunk.length, pos);
  const ms = performance.now() - t0;
  fs.closeSync(fd);
  return ms;
}

async function rawWriteAsync(path: string, chunk: Buffer, total: number): Promise<number> {
  const fh = await fs.promises.open(path, 'w');
  const t0 = performance.now();
  for (let pos = 0; pos < total; pos += chunk.length) await fh.write(chunk, 0, chunk.length, pos);
  const ms = performance.now() - t0;
  await fh.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/**
 * Rounds alternate the log and the raw write so both see the same dirty-page writeback pressure
 * (the kernel throttles a writer once dirty pages pile up, which swamps everything else); the median
 * of each is printed.
 */
async function appendCase(label: string, recordsPerBatch: number, rounds = 3): Promise<string> {
  const batch = batchOf(recordsPerBatch);
  const n = Math.max(1, Math.floor(TOTAL / batch.length));
  const bytes = n * batch.length;
  const logMs: number[] = [];
  const rawMs: number[] = [];
  const asyncMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const dir = join(base, `append-${recordsPerBatch}`);
    const log = await Log.open(dir, defaultLogConfig({ maxMessageBytes: 2 * 1024 * 1024 }));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await log.append(batch);
    logMs.push(performance.now() - t0);
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const rawPath = join(base, `raw-${recordsPerBatch}`);
    rawMs.push(rawWriteSync(rawPath, batch, bytes));
    fs.rmSync(rawPath, { force: true });
    if (round === 0) {
      asyncMs.push(await rawWriteAsync(rawPath, batch, bytes));
      fs.rmSync(rawPath, { force: true });
    }
  }
  const l = median(logMs);
  const r = median(rawMs);
  return `${label.padEnd(16)} ${fmt(mb(bytes, l)).padStart(8)} MB/s   raw writeSync ${fmt(mb(bytes, r)).padStart(8)} MB/s   ratio ${fmt(r / l, 2)}   (raw fs.write via the thread pool: ${fmt(mb(bytes, asyncMs[0]!))} MB/s)`;
}

/**
 * Microseconds of JavaScript per append (the caller's await included): fs.writeSync is replaced by
 * a no-op for the timed loop only (syncBuiltinESMExports makes the storage modules' `fs` see it).
 */
async function jsCostCase(recordsPerBatch: number, appends = 20_000, rounds = 9): Promise<string> {
  const batch = batchOf(recordsPerBatch);
  const cjsFs = createRequire(import.meta.url)('node:fs') as typeof fs;
  const realWrite = cjsFs.writeSync;
  const perAppend: number[] = [];
  const dir = join(base, 'js-cost');
  for (let round = 0; round < rounds; round++) {
    const log = await Log.open(dir, defaultLogConfig({ maxMessageBytes: 2 * 1024 * 1024 }));
    (cjsFs as { writeSync: unknown }).writeSync = (_fd: number, _b: Buffer, _o: number, len: number) => len;
    syncBuiltinESMExports();
    try {
      const t0 = performance.now();
      for (let i = 0; i < appends; i++) await log.append(batch);
      perAppend.push(((performance.now() - t0) * 1000) / appends);
    } finally {
      cjsFs.writeSync = realWrite;
      syncBuiltinESMExports();
    }
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...perAppend].sort((x, y) => x - y);
  return `JS per ${Math.round(batch.length / 1024)} KiB append (write stubbed): median ${fmt(median(perAppend), 2)} µs, min ${fmt(sorted[0]!, 2)} µs`;
}

async function readCase(): Promise<string[]> {
  const dir = join(base, 'read');
  const log = await Log.open(dir, defaultLogConfig({ maxMessageBytes: 2 * 1024 * 1024 }));
  const batch = batchOf(16);
  const n = Math.floor(TOTAL / batch.length);
  for (let i = 0; i < n; i++) await log.append(batch);
  const out: string[] = [];
  for (const maxBytes of [1024 * 1024, 64 * 1024]) {
    // Two passes: the first may still fault pages in; the second is the page-cache figure.
    let ms = 0;
    let bytes = 0;
    for (let pass = 0; pass < 2; pass++) {
      bytes = 0;
      const t0 = performance.now();
      for (let o = 0; o < log.logEndOffset; ) {
        const r = await log.read(o, maxBytes);
        bytes += r.bytes;
        o = r.nextOffset;
      }
      ms = performance.now() - t0;
    }
    out.push(
      `Log.read ${String(maxBytes / 1024).padStart(5)} KiB   ${fmt(bytes / 1e9 / (ms / 1e3), 2)} GB/s`,
    );
  }
  // The same bytes through the thread pool (what an async read path would cost).
  const seg = join(dir, '00000000000000000000.log');
  const fh = await fs.promises.open(seg, 'r');
  const size = (await fh.stat()).size;
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let t0 = performance.now();
  for (let pos = 0; pos < size; pos += buf.length) await fh.read(buf, 0, buf.length, pos);
  let ms = performance.now() - t0;
  out.push(`raw fs.read 1024 KiB (thread pool)   ${fmt(size / 1e9 / (ms / 1e3), 2)} GB/s`);
  const fd = fs.openSync(seg, 'r');
  t0 = performance.now();
  for (let pos = 0; pos < size; pos += buf.length) fs.readSync(fd, buf, 0, buf.length, pos);
  ms = performance.now() - t0;
  out.push(`raw readSync 1024 KiB               ${fmt(size / 1e9 / (ms / 1e3), 2)} GB/s`);
  fs.closeSync(fd);
  await fh.close();
  await log.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

async function fsyncCase(concurrency: number): Promise<string> {
  const dir = join(base, `fsync-${concurrency}`);
  const log = await Log.open(dir, defaultLogConfig(), { durability: 'fsync' });
  const batch = batchOf(1);
  const perWorker = Math.max(20, Math.floor(1500 / concurrency));
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const mine = Buffer.from(batch);
      for (let i = 0; i < perWorker; i++) {
        const s = performance.now();
        await log.append(mine);
        lat.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  await log.close();
  fs.rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return `${String(concurrency).padStart(3)} appenders   p50 ${fmt(q(0.5), 2)} ms   p99 ${fmt(q(0.99), 2)} ms   ${fmt(lat.length / (ms / 1e3), 0)} appends/s`;
}

try {
  console.log(`storage bench in ${base} (${TOTAL / 1024 / 1024} MiB per append case)`);
  console.log('\nappend (page-cache mode), 1 KiB records:');
  console.log(await appendCase('16 KiB batches', 16));
  console.log(await appendCase('1 MiB batches', 1023));
  console.log(await jsCostCase(16));
  console.log('\nread from the page cache:');
  for (const line of await readCase()) console.log(line);
  console.log('\nfsync-mode append latency, 1 KiB batches, group commit:');
  for (const c of [1, 8, 64]) console.log(await fsyncCase(c));
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
