import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BatchAttributes } from '../../../src/protocol/records/batch.js';
import { buildBatchSync } from '../../../src/protocol/records/builder.js';
import { type DecodedBatch, decodeBatches } from '../../../src/protocol/records/records.js';
import { Cleaner } from '../../../src/storage/cleaner.js';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.js';
import { Log } from '../../../src/storage/log.js';

const root = fs.mkdtempSync(join(tmpdir(), 'gregor-cleaner-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `t-${n++}`);
const cfg = (o: Partial<LogConfig> = {}): LogConfig =>
  defaultLogConfig({
    segmentBytes: 4096,
    indexIntervalBytes: 256,
    fileDeleteDelayMs: 0,
    cleanupPolicy: ['compact'],
    ...o,
  });

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function appendRandom(log: Log, count: number, seed: number, t0: number): Promise<Rec[]> {
  const rand = rng(seed);
  const out: Rec[] = [];
  const codecs = ['none', 'gzip', 'snappy', 'lz4'] as const;
  let written = 0;
  while (written < count) {
    const size = 1 + Math.floor(rand() * 8);
    const recs = Array.from({ length: size }, (_, i) => {
      const key = `key-${Math.floor(rand() * 25)}`;
      const value = rand() < 0.1 ? null : `v-${seed}-${written + i}-${'x'.repeat(Math.floor(rand() * 60))}`;
      return { key, value, timestamp: t0 + written + i };
    });
    const codec = codecs[Math.floor(rand() * codecs.length)]!;
    const r = await log.append(buildBatchSync(recs, { compression: codec }));
    recs.forEach((rec, i) => {
      out.push({ offset: r.firstOffset + i, key: rec.key, value: rec.value });
    });
    written += size;
  }
  return out;
}

/** Every batch of the log, decoded (CRCs checked). */
async function readBatches(log: Log): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; ) {
    const r = await log.read(o, 1 << 20);
    if (r.bytes === 0) break;
    for (const b of r.records) for await (const batch of decodeBatches(b)) out.push(batch);
    o = r.nextOffset;
  }
  return out;
}

/** Every record from the log start, in offset order (CRCs checked). */
async function readAllRecords(log: Log): Promise<Rec[]> {
  const out: Rec[] = [];
  for (const b of await readBatches(log))
    for (const rec of b.records)
      if (rec.offset >= log.logStartOffset)
        out.push({
          offset: rec.offset,
          key: rec.key!.toString(),
          value: rec.value === null ? null : rec.value.toString(),
        });
  return out;
}

function lastPerKey(recs: Rec[]): Rec[] {
  const m = new Map<string, Rec>();
  for (const r of recs) m.set(r.key, r);
  return [...m.values()].sort((a, b) => a.offset - b.offset);
}

describe('log cleaner', () => {
  it('keeps exactly the last record per key, at its original offset (compressed batches too)', async () => {
    const dir = newDir();
    const log = await Log.open(dir, cfg());
    const written = await appendRandom(log, 600, 1, 1_000_000);
    log.roll();
    const sizeBefore = log.size;
    const cleaner = new Cleaner();
    const r = await cleaner.clean(log);
    assert.ok(r && r.recordsRemoved > 0, JSON.stringify(r));
    assert.ok(log.size < sizeBefore);
    const expected = lastPerKey(written);
    assert.deepEqual(await readAllRecords(log), expected);
    assert.equal(log.logEndOffset, 600);
    // Reading from any offset still works (gaps are skipped).
    for (let o = 0; o < 600; o += 37) {
      const rr = await log.read(o, 1);
      assert.ok(rr.bytes > 0 || o > expected.at(-1)!.offset);
    }
    // Survives a reopen, full recovery.
    await log.close();
    const again = await Log.open(dir, cfg());
    assert.deepEqual(await readAllRecords(again), expected);
    // New data after compaction: a second pass keeps the newest across both parts.
    const more = await appendRandom(again, 200, 2, 2_000_000);
    again.roll();
    await cleaner.clean(again);
    assert.deepEqual(await readAllRecords(again), lastPerKey([...written, ...more]));
    await again.close();
  });

  it('stamps a delete horizon on the first pass that keeps a tombstone and drops it once passed (KIP-534)', async () => {
    const log = await Log.open(newDir(), cfg({ deleteRetentionMs: 1000 }));
    let now = 50_000;
    const cleaner = new Cleaner({ now: () => now });
    const written = await appendRandom(log, 300, 3, 1_000_000);
    log.roll();
    const expected = lastPerKey(written);
    const tombstones = expected.filter((r) => r.value === null);
    assert.ok(tombstones.length > 0 && tombstones.length < expected.length);
    const timestamps = new Map<number, number>();
    for (const b of await readBatches(log)) for (const r of b.records) timestamps.set(r.offset, r.timestamp);

    // First pass: tombstones stay; each batch that keeps one carries the horizon now + 1000.
    await cleaner.clean(log);
    assert.deepEqual(await readAllRecords(log), expected);
    const stamped = async (afterHorizon = false) => {
      const out: number[] = [];
      for (const b of await readBatches(log)) {
        const hasTombstone = b.records.some((r) => r.value === null);
        const flagged = (b.attributes & BatchAttributes.deleteHorizon) !== 0;
        // A batch keeps its horizon after its tombstones are gone (Kafka rebuilds it with the same one).
        if (afterHorizon) assert.ok(!hasTombstone, `batch at ${b.baseOffset}`);
        else assert.equal(flagged, hasTombstone, `batch at ${b.baseOffset}`);
        if (flagged) out.push(b.baseTimestamp);
        // Every record keeps its timestamp (deltas were rewritten against the new baseTimestamp).
        for (const r of b.records) assert.equal(r.timestamp, timestamps.get(r.offset));
      }
      return out;
    };
    const horizons = await stamped();
    assert.ok(horizons.length > 0);
    assert.ok(horizons.every((h) => h === 51_000));

    // Before the horizon: kept, and the horizon is not moved.
    now = 50_999;
    await cleaner.clean(log);
    assert.deepEqual(await readAllRecords(log), expected);
    assert.deepEqual(await stamped(), horizons);

    // At the horizon: gone; everything else stays.
    now = 51_000;
    const r = await cleaner.clean(log);
    assert.equal(r?.recordsRemoved, tombstones.length);
    assert.deepEqual(
      await readAllRecords(log),
      expected.filter((x) => x.value !== null),
    );
    assert.ok((await stamped(true)).every((h) => h === 51_000));
    await log.close();
  });

  it('stamps the horizon on tombstones of the clean part too, from the pass that first keeps them', async () => {
    const log = await Log.open(newDir(), cfg({ deleteRetentionMs: 100 }));
    let now = 1_000;
    const cleaner = new Cleaner({ now: () => now });
    await log.append(
      buildBatchSync([
        { key: 'a', value: null, timestamp: 10 },
        { key: 'b', value: 'b1', timestamp: 11 },
      ]),
    );
    await log.append(buildBatchSync([{ key: 'c', value: 'c1', timestamp: 12 }]));
    log.roll();
    await cleaner.clean(log);
    const [first, second] = await readBatches(log);
    assert.equal(first!.attributes & BatchAttributes.deleteHorizon, BatchAttributes.deleteHorizon);
    assert.equal(first!.baseTimestamp, 1_100);
    assert.deepEqual(
      first!.records.map((r) => [r.offset, r.timestamp]),
      [
        [0, 10],
        [1, 11],
      ],
    );
    assert.equal(first!.maxTimestamp, 11);
    assert.equal(second!.attributes & BatchAttributes.deleteHorizon, 0);
    assert.equal(second!.baseTimestamp, 12);
    // New dirty data, a pass after the horizon: the tombstone goes, the batch keeps its horizon.
    await log.append(buildBatchSync([{ key: 'd', value: 'd1', timestamp: 13 }]));
    log.roll();
    now = 2_000;
    await cleaner.clean(log);
    const after = await readBatches(log);
    assert.deepEqual(
      after.flatMap((b) => b.records.map((r) => [r.offset, r.key?.toString(), r.timestamp])),
      [
        [1, 'b', 11],
        [2, 'c', 12],
        [3, 'd', 13],
      ],
    );
    assert.equal(after[0]!.baseTimestamp, 1_100);
    await log.close();
  });

  it('runs only when the dirty ratio is reached, and never touches the active segment', async () => {
    const log = await Log.open(newDir(), cfg({ minCleanableDirtyRatio: 0.5 }));
    await appendRandom(log, 400, 5, 1_000_000);
    const active = log.segments.at(-1)!;
    const activeSize = active.size;
    const cleaner = new Cleaner();
    assert.ok(await cleaner.clean(log, false));
    // Nothing new is dirty: the next pass does nothing.
    assert.equal(await cleaner.clean(log, false), null);
    assert.equal(log.segments.at(-1), active);
    assert.equal(active.size, activeSize);
    await log.close();
  });

  it('removes an unfinished compaction output at open, and completes a committed swap', async () => {
    const dir = newDir();
    const log = await Log.open(dir, cfg());
    const written = await appendRandom(log, 200, 6, 1_000_000);
    log.roll();
    await log.close();
    fs.writeFileSync(join(dir, '00000000000000000000.log.cleaned'), Buffer.alloc(100, 1));
    const again = await Log.open(dir, cfg());
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.cleaned')));
    assert.deepEqual(await readAllRecords(again), written);
    await again.close();
    // A crash after the commit point: the marker names the replaced segments, the output is `.cleaned`.
    const first = join(dir, '00000000000000000000.log');
    fs.copyFileSync(first, `${first}.cleaned`);
    fs.writeFileSync(join(dir, 'cleaner-swap'), JSON.stringify({ base: 0, replaced: [0] }));
    const third = await Log.open(dir, cfg());
    const files = fs.readdirSync(dir);
    assert.ok(
      !files.includes('cleaner-swap') && !files.some((f) => f.endsWith('.cleaned') || f.endsWith('.deleted')),
    );
    assert.deepEqual(await readAllRecords(third), written);
    await third.close();
  });

  it('persists its progress in cleaner-offset-checkpoint and resumes from it after a restart', async () => {
    const { LogManager } = await import('../../../src/storage/log-manager.js');
    const dir = newDir();
    const checkpoint = () => fs.readFileSync(join(dir, 'cleaner-offset-checkpoint'), 'utf8');
    const mgr = new LogManager({ dir, cleaner: { enable: false } });
    await mgr.open();
    // Tombstones are kept throughout (their horizon is far away): only the resumed start is under test.
    const config = cfg({ deleteRetentionMs: 1e13 });
    const log = await mgr.createLog('c', 0, config);
    const other = await mgr.createLog('gone', 1, config);
    const a = await appendRandom(log, 300, 11, 1_000_000);
    await appendRandom(other, 100, 12, 1_000_000);
    log.roll();
    other.roll();
    assert.equal(await mgr.runCleaner(), 2);
    const end1 = log.logEndOffset;
    assert.equal(checkpoint(), `0\n2\nc 0 ${end1}\ngone 1 ${other.logEndOffset}\n`);
    // A deleted log's entry is dropped.
    await mgr.deleteLog('gone', 1);
    assert.equal(checkpoint(), `0\n1\nc 0 ${end1}\n`);
    await mgr.close();

    const again = new LogManager({ dir, cleaner: { enable: false }, configFor: () => config });
    await again.open();
    const reopened = again.getLog('c', 0)!;
    assert.equal(again.cleaner.firstDirtyOffset(reopened), end1);
    const b = await appendRandom(reopened, 100, 13, 2_000_000);
    reopened.roll();
    // Nothing but the new records is read into the offset map: the pass starts at the checkpoint.
    const r = await again.cleaner.clean(reopened, false);
    assert.ok(r);
    assert.equal(r.firstDirtyOffset, end1);
    assert.equal(r.recordsMapped, b.length);
    const end2 = reopened.logEndOffset;
    assert.equal(r.nextDirtyOffset, end2);
    assert.deepEqual(await readAllRecords(reopened), lastPerKey([...a, ...b]));
    await again.checkpoint();
    assert.equal(checkpoint(), `0\n1\nc 0 ${end2}\n`);
    // A truncation below the checkpoint moves it back (what is re-appended there is dirty again).
    await reopened.truncateTo(end1 + 5);
    assert.equal(again.cleaner.firstDirtyOffset(reopened), end1 + 5);
    await again.close();
    assert.equal(checkpoint(), `0\n1\nc 0 ${end1 + 5}\n`);

    // A checkpoint past the log end (the tail was cut since) makes the whole log dirty again.
    fs.writeFileSync(join(dir, 'cleaner-offset-checkpoint'), '0\n1\nc 0 5000\n');
    const third = new LogManager({ dir, cleaner: { enable: false }, configFor: () => config });
    await third.open();
    const log3 = third.getLog('c', 0)!;
    assert.equal(third.cleaner.firstDirtyOffset(log3), log3.logStartOffset);
    await third.close();
  });

  it('is run by the log manager for compacted topics only', async () => {
    const { LogManager } = await import('../../../src/storage/log-manager.js');
    const mgr = new LogManager({ dir: newDir(), cleaner: { enable: false } });
    await mgr.open();
    const compacted = await mgr.createLog('c', 0, cfg());
    const plain = await mgr.createLog('d', 0, cfg({ cleanupPolicy: ['delete'] }));
    const a = await appendRandom(compacted, 300, 7, 1_000_000);
    const b = await appendRandom(plain, 300, 7, 1_000_000);
    compacted.roll();
    plain.roll();
    assert.equal(await mgr.runCleaner(), 1);
    assert.deepEqual(await readAllRecords(compacted), lastPerKey(a));
    assert.deepEqual(await readAllRecords(plain), b);
    await mgr.close();
  });
});
