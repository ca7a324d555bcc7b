/**
 * Log cleaner figures (printed, never pass/fail): one compaction pass over a log of 100-byte keyed
 * records (20,000 keys, 50 records per batch, no compression), first written by plain producers,
 * then the same volume written in transactions (4 producers, 1 in 4 transactions aborted) with the
 * real producer state, so the transaction bookkeeping's cost shows as a ratio in the same run.
 *
 *   npm run build && node dist/bench/cleaner.js     (GREGOR_BENCH_CLEANER_RECORDS, default 400000)
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatchSync, buildEndTxnMarker } from '../src/protocol/records/builder.js';
import { Cleaner } from '../src/storage/cleaner.js';
import { defaultLogConfig } from '../src/storage/config.js';
import { Log } from '../src/storage/log.js';
import { ProducerStateManager } from '../src/txn/producer-state-manager.js';

const RECORDS = Number(process.env.GREGOR_BENCH_CLEANER_RECORDS ?? 400_000);
const PER_BATCH = 50;
const KEYS = 20_000;
const ROUNDS = 3;
const base = fs.mkdtempSync(join(process.env.GREGOR_BENCH_DIR ?? tmpdir(), 'gregor-bench-cleaner-'));
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const value = 'v'.repeat(100);

function records(from: number): Array<{ key: string; value: string }> {
  return Array.from({ length: PER_BATCH }, (_, i) => ({ key: `key-${(from + i) % KEYS}`, value }));
}

interface Pass {
  ms: number;
  bytesBefore: number;
  bytesAfter: number;
}

async function cleanOnce(dir: string, transactional: boolean): Promise<Pass> {
  const state = new ProducerStateManager('bench', 0);
  const config = defaultLogConfig({ cleanupPolicy: ['compact'], segmentBytes: 64 * 1024 * 1024 });
  const log = await Log.open(dir, config, { producerState: state });
  await state.recover(log);
  const seq = [0, 0, 0, 0];
  for (let n = 0, txn = 0; n < RECORDS; n += PER_BATCH) {
    if (!transactional) {
      await log.append(buildBatchSync(records(n)));
      continue;
    }
    // Two batches per transaction, then its marker: producer p, every 4th transaction aborted.
    const p = txn % 4;
    await log.append(
      buildBatchSync(records(n), {
        producerId: 100 + p,
        producerEpoch: 0,
        baseSequence: seq[p],
        transactional: true,
      }),
    );
    seq[p]! += PER_BATCH;
    if ((n / PER_BATCH) % 2 === 1) {
      await log.append(
        buildEndTxnMarker({
          producerId: 100 + p,
          producerEpoch: 0,
          commit: txn % 4 !== 3,
          coordinatorEpoch: 0,
        }),
      );
      txn++;
    }
  }
  log.roll();
  const bytesBefore = log.size;
  const t0 = performance.now();
  const r = await new Cleaner({ dedupeBufferBytes: 512 * 1024 * 1024 }).clean(log);
  const ms = performance.now() - t0;
  if (r === null) throw new Error('the pass did not run');
  const bytesAfter = log.size;
  await log.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms, bytesBefore, bytesAfter };
}

try {
  const plain: number[] = [];
  const txn: number[] = [];
  let last: { plain: Pass; txn: Pass } | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const a = await cleanOnce(join(base, `plain-${round}`), false);
    const b = await cleanOnce(join(base, `txn-${round}`), true);
    plain.push(a.ms);
    txn.push(b.ms);
    last = { plain: a, txn: b };
  }
  const rate = (ms: number) => (RECORDS / (ms / 1e3) / 1e6).toFixed(2);
  const mbps = (p: Pass, ms: number) => (p.bytesBefore / 1e6 / (ms / 1e3)).toFixed(0);
  console.log(
    `compaction pass, ${RECORDS} records of 100 B, ${KEYS} keys, ${PER_BATCH} per batch (median of ${ROUNDS}):`,
  );
  console.log(
    `  plain          ${rate(median(plain))} M records/s   ${mbps(last!.plain, median(plain))} MB/s   ${(last!.plain.bytesBefore / 1e6).toFixed(1)} -> ${(last!.plain.bytesAfter / 1e6).toFixed(1)} MB`,
  );
  console.log(
    `  transactional  ${rate(median(txn))} M records/s   ${mbps(last!.txn, median(txn))} MB/s   ${(last!.txn.bytesBefore / 1e6).toFixed(1)} -> ${(last!.txn.bytesAfter / 1e6).toFixed(1)} MB   (1 in 4 transactions aborted)`,
  );
  console.log(`  transactional / plain time  ${(median(txn) / median(plain)).toFixed(2)}`);
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
