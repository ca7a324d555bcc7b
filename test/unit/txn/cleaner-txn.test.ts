/**
 * The log cleaner on a compacted log holding transactions, with the real producer state
 * (ProducerStateManager) and real files: what a read_committed or read_uncommitted reader sees
 * after compaction, the `.txnindex` of cleaned segments, the last stable offset as a cleaning
 * bound, markers removed only after their delete horizon, and the state rebuilt from a cleaned log.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BatchAttributes } from '../../../src/protocol/records/batch.js';
import { buildBatchSync, buildEndTxnMarker } from '../../../src/protocol/records/builder.js';
import { type DecodedBatch, decodeBatches } from '../../../src/protocol/records/records.js';
import { Cleaner } from '../../../src/storage/cleaner.js';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.js';
import { Log } from '../../../src/storage/log.js';
import { readTxnIndex, writeTxnIndexSync } from '../../../src/storage/txn-index.js';
import { withoutUncommittedBatches } from '../../../src/txn/committed-batches.js';
import { ProducerStateManager } from '../../../src/txn/producer-state-manager.js';

const root = mkdtempSync(join(tmpdir(), 'gregor-cleaner-txn-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `t-${n++}`);

const DELETE_RETENTION_MS = 1000;
const config = (): LogConfig =>
  defaultLogConfig({
    cleanupPolicy: ['compact'],
    deleteRetentionMs: DELETE_RETENTION_MS,
    fileDeleteDelayMs: 0,
    segmentBytes: 1 << 20,
  });

async function open(dir: string): Promise<{ log: Log; state: ProducerStateManager }> {
  const state = new ProducerStateManager('t', 0);
  const log = await Log.open(dir, config(), { producerState: state });
  await state.recover(log);
  return { log, state };
}

/** Keyed records from one producer (transactional or not); `seq` is the first sequence. */
function batch(
  producerId: number,
  seq: number,
  kv: Array<[string, string | null]>,
  transactional: boolean,
  epoch = 0,
): Buffer {
  return buildBatchSync(
    kv.map(([key, value]) => ({ key, value, timestamp: 1_000_000 })),
    { producerId, producerEpoch: epoch, baseSequence: seq, transactional },
  );
}

const marker = (producerId: number, commit: boolean, epoch = 0) =>
  buildEndTxnMarker({ producerId, producerEpoch: epoch, commit, coordinatorEpoch: 0, timestamp: 1_000_000 });

async function batches(log: Log): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; ) {
    const r = await log.read(o, 1 << 20);
    if (r.bytes === 0) break;
    for (const b of r.records) for await (const d of decodeBatches(b)) out.push(d);
    o = r.nextOffset;
  }
  return out;
}

/** `key=value@offset` of every data record, as a read_uncommitted reader sees them. */
async function uncommitted(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (const b of await batches(log)) {
    if ((b.attributes & BatchAttributes.control) !== 0) continue;
    for (const r of b.records) out.push(`${r.key?.toString()}=${r.value?.toString() ?? 'null'}@${r.offset}`);
  }
  return out;
}

/** The same with aborted and open transactions filtered out (what read_committed shows). */
async function committed(log: Log, state: ProducerStateManager): Promise<string[]> {
  const out: string[] = [];
  const lso = state.firstUnstableOffset() ?? log.logEndOffset;
  for (let o = log.logStartOffset; o < log.logEndOffset; ) {
    const r = await log.read(o, 1 << 20);
    if (r.bytes === 0) break;
    for (const chunk of r.records) {
      const kept = withoutUncommittedBatches(chunk, state.abortedTransactions(o, r.nextOffset), lso);
      for await (const b of decodeBatches(kept)) {
        if ((b.attributes & BatchAttributes.control) !== 0) continue;
        for (const rec of b.records)
          out.push(`${rec.key?.toString()}=${rec.value?.toString() ?? 'null'}@${rec.offset}`);
      }
    }
    o = r.nextOffset;
  }
  return out;
}

/** Control batches as `COMMIT|ABORT|empty@offset`, with `+horizon` when one is stamped. */
async function markers(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (const b of await batches(log)) {
    if ((b.attributes & BatchAttributes.control) === 0) continue;
    const type = b.records[0]?.key?.readInt16BE(2);
    const name = type === undefined ? 'empty' : type === 0 ? 'ABORT' : 'COMMIT';
    const horizon = (b.attributes & BatchAttributes.deleteHorizon) !== 0 ? '+horizon' : '';
    out.push(`${name}@${b.baseOffset}${horizon}`);
  }
  return out;
}

function txnIndexEntries(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.txnindex'))
    .sort())
    for (const e of readTxnIndex(join(dir, name)).entries)
      out.push(
        `${name.slice(0, 20).replace(/^0+(?=\d)/, '')}:${e.producerId}[${e.firstOffset}..${e.lastOffset}]`,
      );
  return out;
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('log cleaner with transactions', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random transactions, rolls and passes keep each key's last committed value (seed ${seed})`, async () => {
      const dir = newDir();
      const { log, state } = await open(dir);
      let now = 10_000_000;
      const cleaner = new Cleaner({ now: () => now });
      const rand = rng(seed);
      const producers = [11, 12, 13];
      const seq = new Map<number, number>(producers.map((p) => [p, 0]));
      /** Open transactions: producer → its records so far. */
      const openTxns = new Map<number, Array<{ offset: number; key: string; value: string | null }>>();
      const committedRecords: Array<{ offset: number; key: string; value: string | null }> = [];
      const randomRecords = (n: number) =>
        Array.from({ length: n }, (): [string, string | null] => [
          `k${Math.floor(rand() * 8)}`,
          rand() < 0.1 ? null : `v${Math.floor(rand() * 1e6)}`,
        ]);
      for (let step = 0; step < 300; step++) {
        const r = rand();
        if (r < 0.3) {
          const kv = randomRecords(1 + Math.floor(rand() * 3));
          const at = await log.append(batch(-1, -1, kv, false));
          for (const [i, [key, value]] of kv.entries())
            committedRecords.push({ offset: at.firstOffset + i, key, value });
        } else if (r < 0.7) {
          const p = producers[Math.floor(rand() * producers.length)]!;
          const kv = randomRecords(1 + Math.floor(rand() * 3));
          const at = await log.append(batch(p, seq.get(p)!, kv, true));
          seq.set(p, seq.get(p)! + kv.length);
          const recs = openTxns.get(p) ?? [];
          for (const [i, [key, value]] of kv.entries()) recs.push({ offset: at.firstOffset + i, key, value });
          openTxns.set(p, recs);
        } else if (r < 0.8) {
          const p = [...openTxns.keys()][Math.floor(rand() * openTxns.size)];
          if (p === undefined) continue;
          const commit = rand() < 0.5;
          await log.append(marker(p, commit));
          if (commit) committedRecords.push(...openTxns.get(p)!);
          openTxns.delete(p);
        } else if (r < 0.88) {
          log.roll();
        } else {
          now += 400;
          await cleaner.clean(log);
        }
      }
      for (const [p, recs] of openTxns) {
        await log.append(marker(p, true));
        committedRecords.push(...recs);
      }
      log.roll();
      await cleaner.clean(log);
      // Past every horizon: tombstones may go (deleted keys are left out of the comparison).
      now += DELETE_RETENTION_MS * 10;
      await cleaner.clean(log);

      // Each key's last committed record (by offset) survives; nothing aborted is visible.
      const last = new Map<string, { offset: number; value: string | null }>();
      for (const rec of committedRecords.sort((a, b) => a.offset - b.offset)) last.set(rec.key, rec);
      const expected = [...last.entries()]
        .filter(([, v]) => v.value !== null)
        .map(([key, v]) => `${key}=${v.value}@${v.offset}`)
        .sort();
      const seen = (await committed(log, state)).filter((l) => !l.includes('=null@')).sort();
      assert.deepEqual(seen, expected);
      assert.equal(state.firstUnstableOffset(), null);
      await log.close();
      for (const f of readdirSync(dir)) if (f.endsWith('.snapshot')) unlinkSync(join(dir, f));
      const again = await open(dir);
      assert.equal(again.state.firstUnstableOffset(), null);
      assert.deepEqual(
        (await committed(again.log, again.state)).filter((l) => !l.includes('=null@')).sort(),
        expected,
      );
      await again.log.close();
    });
  }

  it('an aborted record never replaces a committed one with its key, and is discarded', async () => {
    const dir = newDir();
    const { log, state } = await open(dir);
    let now = 10_000_000;
    const cleaner = new Cleaner({ now: () => now });
    await log.append(batch(-1, -1, [['k', 'committed-1']], false)); // 0
    await log.append(batch(7, 0, [['k', 'aborted-1']], true)); // 1
    await log.append(batch(8, 0, [['j', 'txn-committed']], true)); // 2
    await log.append(marker(7, false)); // 3 ABORT
    await log.append(marker(8, true)); // 4 COMMIT
    await log.append(batch(-1, -1, [['j', 'plain']], false)); // 5
    log.roll();
    await log.append(batch(-1, -1, [['z', 'active']], false)); // 6, active segment

    const r = await cleaner.clean(log);
    assert.ok(r, 'a pass ran');
    // The aborted record is gone (its batch header stays: producer 7's last sequence), the
    // committed value of k survives; j's transactional value was replaced by the later plain one.
    assert.deepEqual(await uncommitted(log), ['k=committed-1@0', 'j=plain@5', 'z=active@6']);
    assert.deepEqual(await committed(log, state), ['k=committed-1@0', 'j=plain@5', 'z=active@6']);
    // Markers stay while batches of their transactions were seen in this pass.
    assert.deepEqual(await markers(log), ['ABORT@3', 'COMMIT@4']);
    assert.deepEqual(txnIndexEntries(dir), ['0:7[1..3]']);
    assert.deepEqual(state.abortedTransactions(0, 100), [{ producerId: 7, firstOffset: 1, lastOffset: 3 }]);

    // Producers 7 and 8 expire: their emptied batches go, then the markers get a horizon, then
    // (after it) go too, and the aborted transaction leaves the index and the fetch list.
    now += 1000;
    assert.equal(state.removeExpired(now + 86_400_000), 2);
    await cleaner.clean(log);
    assert.deepEqual(await markers(log), ['ABORT@3', 'COMMIT@4']);
    await cleaner.clean(log);
    assert.deepEqual(await markers(log), ['ABORT@3+horizon', 'COMMIT@4+horizon']);
    assert.deepEqual(txnIndexEntries(dir), []);
    assert.deepEqual(state.abortedTransactions(0, 100), []);
    await cleaner.clean(log);
    assert.deepEqual(await markers(log), ['ABORT@3+horizon', 'COMMIT@4+horizon'], 'not before the horizon');
    now += DELETE_RETENTION_MS;
    await cleaner.clean(log);
    assert.deepEqual(await markers(log), []);
    assert.deepEqual(await committed(log, state), ['k=committed-1@0', 'j=plain@5', 'z=active@6']);
    await log.close();
  });

  it('does not clean at or past the first offset of an open transaction (the last stable offset)', async () => {
    const dir = newDir();
    const { log, state } = await open(dir);
    const cleaner = new Cleaner();
    await log.append(batch(-1, -1, [['k', 'committed-1']], false)); // 0
    log.roll();
    await log.append(batch(7, 0, [['k', 'open-then-aborted']], true)); // 1, open
    log.roll();
    await log.append(batch(-1, -1, [['x', 'x']], false)); // 2
    log.roll();
    assert.equal(state.firstUnstableOffset(), 1);
    await cleaner.clean(log);
    assert.deepEqual(await uncommitted(log), ['k=committed-1@0', 'k=open-then-aborted@1', 'x=x@2']);

    // The transaction aborts: the next pass drops its record and k keeps its committed value.
    await log.append(marker(7, false)); // 3
    log.roll();
    assert.equal(state.firstUnstableOffset(), null);
    await cleaner.clean(log);
    assert.deepEqual(await committed(log, state), ['k=committed-1@0', 'x=x@2']);
    assert.deepEqual(await uncommitted(log), ['k=committed-1@0', 'x=x@2']);
    await log.close();
  });

  it('a compacted log rebuilds the same producer state and aborted list at reopen, without snapshots', async () => {
    const dir = newDir();
    const { log, state } = await open(dir);
    let now = 10_000_000;
    const cleaner = new Cleaner({ now: () => now });
    await log.append(batch(-1, -1, [['k', 'committed-1']], false)); // 0
    await log.append(batch(5, 0, [['k', 'aborted']], true)); // 1
    // The coordinator aborts with a bumped epoch (a timed-out transaction): producer 5's last
    // entry is now this marker, kept even when emptied so the epoch still fences the old one.
    await log.append(marker(5, false, 1)); // 2
    await log.append(batch(6, 0, [['m', 'a']], true)); // 3
    await log.append(batch(6, 1, [['m', 'b']], true)); // 4
    await log.append(marker(6, false)); // 5
    await log.append(batch(-1, -1, [['y', 'y']], false)); // 6
    log.roll();
    await log.append(batch(-1, -1, [['z', 'z']], false)); // 7
    await cleaner.clean(log);
    // Producer 6's last batch keeps its header (its sequence); the other aborted batches go.
    const headers = (await batches(log)).map((b) => `${b.baseOffset}:${b.records.length}`);
    assert.deepEqual(headers, ['0:1', '2:1', '4:0', '5:1', '6:1', '7:1']);
    await cleaner.clean(log); // ABORT@2 has no batch left: horizon
    now += DELETE_RETENTION_MS;
    await cleaner.clean(log); // past it: emptied, not removed (producer 5's last entry)
    assert.deepEqual(await markers(log), ['empty@2', 'ABORT@5']);
    assert.deepEqual(txnIndexEntries(dir), ['0:6[3..5]']);
    const before = {
      aborted: state.abortedTransactions(0, 100),
      p5: state.producer(5)?.epoch,
      p6: state.lastSequence(state.producer(6)!),
    };
    await log.close();
    for (const f of readdirSync(dir)) if (f.endsWith('.snapshot')) unlinkSync(join(dir, f));

    const again = await open(dir);
    assert.equal(again.state.firstUnstableOffset(), null, 'no transaction reopened by a cleaned marker');
    // Rebuilt from the log, producer 6's aborted transaction starts at its first remaining batch.
    assert.deepEqual(before.aborted, [{ producerId: 6, firstOffset: 3, lastOffset: 5 }]);
    assert.deepEqual(again.state.abortedTransactions(0, 100), [
      { producerId: 6, firstOffset: 4, lastOffset: 5 },
    ]);
    assert.equal(again.state.producer(5)?.epoch, before.p5);
    assert.equal(again.state.lastSequence(again.state.producer(6)!), before.p6);
    assert.deepEqual(await committed(again.log, again.state), ['k=committed-1@0', 'y=y@6', 'z=z@7']);
    await again.log.close();
  });

  it("moves the aborted transactions of the replaced segments into the cleaned segment's .txnindex", async () => {
    const dir = newDir();
    const { log } = await open(dir);
    const cleaner = new Cleaner();
    await log.append(batch(7, 0, [['k', 'aborted']], true)); // 0
    log.roll();
    await log.append(marker(7, false)); // 1
    log.roll();
    await log.append(batch(-1, -1, [['z', 'z']], false)); // 2
    assert.deepEqual(txnIndexEntries(dir), ['1:7[0..1]']);
    await cleaner.clean(log);
    // Both segments became one: its index holds the entry, the replaced one is gone.
    assert.deepEqual(txnIndexEntries(dir), ['0:7[0..1]']);
    assert.ok(statSync(join(dir, '00000000000000000000.txnindex')).size > 0);
    await log.close();
  });

  it('finishes an interrupted swap with the cleaned .txnindex, at either crash point', async () => {
    const dir = newDir();
    const { log } = await open(dir);
    for (let i = 0; i < 5; i++) await log.append(batch(-1, -1, [[`a${i}`, 'x']], false)); // 0..4
    log.roll();
    for (let i = 0; i < 5; i++) await log.append(batch(-1, -1, [[`b${i}`, 'x']], false)); // 5..9
    log.roll();
    await log.append(batch(-1, -1, [['c', 'x']], false)); // 10
    await log.close();
    const entry = (producerId: number, firstOffset: number, lastOffset: number) => ({
      producerId,
      firstOffset,
      lastOffset,
      lastStableOffset: lastOffset + 1,
    });
    const name = (base: number, suffix: string) => join(dir, `${String(base).padStart(20, '0')}${suffix}`);
    const crashAfterCommitPoint = () => {
      // The cleaner wrote segment 0's output and index (one retained abort), then the marker.
      copyFileSync(name(0, '.log'), name(0, '.log.cleaned'));
      writeTxnIndexSync(name(0, '.txnindex.cleaned'), [entry(3, 1, 2)]);
      writeTxnIndexSync(name(0, '.txnindex'), [entry(1, 0, 1), entry(3, 1, 2)]);
      writeTxnIndexSync(name(5, '.txnindex'), [entry(2, 5, 6)]);
      writeFileSync(join(dir, 'cleaner-swap'), JSON.stringify({ base: 0, replaced: [0, 5] }));
    };

    // The log alone finishes the swap (a producer state would then rebuild the entries past its
    // snapshot from the log's markers, which this synthetic log has none of).
    crashAfterCommitPoint();
    const first = await Log.open(dir, config());
    assert.deepEqual(txnIndexEntries(dir), ['0:3[1..2]']);
    assert.ok(!existsSync(join(dir, 'cleaner-swap')));
    await first.close();

    // Second crash point: the index was already renamed in, the segment files not yet.
    for (const f of readdirSync(dir)) if (f.endsWith('.txnindex')) unlinkSync(join(dir, f));
    crashAfterCommitPoint();
    unlinkSync(name(5, '.txnindex'));
    copyFileSync(name(0, '.txnindex.cleaned'), name(0, '.txnindex'));
    unlinkSync(name(0, '.txnindex.cleaned'));
    const second = await Log.open(dir, config());
    assert.deepEqual(txnIndexEntries(dir), ['0:3[1..2]'], 'the index moved in before the crash stays');
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.cleaned')));
    await second.close();
  });
});
