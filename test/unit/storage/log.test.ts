import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  baseOffset,
  batchSize,
  computeCrc,
  lastOffset,
  maxTimestamp,
  partitionLeaderEpoch,
  storedCrc,
} from '../../../src/protocol/records/batch.js';
import { buildBatchSync } from '../../../src/protocol/records/builder.js';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.js';
import {
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  UnexpectedAppendOffsetError,
} from '../../../src/storage/errors.js';
import { HandlePool } from '../../../src/storage/handles.js';
import { Log } from '../../../src/storage/log.js';
import { fillerBatch } from '../../helpers/record-batch.js';

const root = fs.mkdtempSync(join(tmpdir(), 'gregor-log-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `t-${n++}`);

function cfg(o: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 1024, fileDeleteDelayMs: 0, ...o });
}

/** Offsets of every batch in a read result, as [base, last] pairs. */
function batchesOf(bufs: Buffer[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const b of bufs)
    for (let p = 0; p < b.length; p += batchSize(b, p)) out.push([baseOffset(b, p), lastOffset(b, p)]);
  return out;
}

describe('Log append and read', () => {
  it('assigns offsets in place and reads whole batches back', async () => {
    const log = await Log.open(newDir(), cfg());
    const b1 = fillerBatch(3, 10);
    const r1 = await log.append(b1, { leaderEpoch: 5 });
    assert.deepEqual([r1.firstOffset, r1.lastOffset, r1.appendTime, r1.logStartOffset], [0, 2, -1, 0]);
    assert.equal(baseOffset(b1, 0), 0);
    assert.equal(partitionLeaderEpoch(b1, 0), 5);
    const r2 = await log.append(Buffer.concat([fillerBatch(2, 10), fillerBatch(4, 10)]));
    assert.deepEqual([r2.firstOffset, r2.lastOffset], [3, 8]);
    assert.equal(log.logEndOffset, 9);
    const read = await log.read(0, 1 << 20);
    assert.deepEqual(batchesOf(read.records), [
      [0, 2],
      [3, 4],
      [5, 8],
    ]);
    assert.equal(read.nextOffset, 9);
    const mid = await log.read(4, 1 << 20);
    assert.deepEqual(batchesOf(mid.records), [
      [3, 4],
      [5, 8],
    ]);
    assert.equal((await log.read(9, 100)).bytes, 0);
    await assert.rejects(log.read(10, 100), OffsetOutOfRangeError);
    assert.equal(log.endOffsetForEpoch(5).endOffset, 9);
    await log.close();
  });

  it('returns the first batch whole even when larger than maxBytes, and stops at upToOffset', async () => {
    const log = await Log.open(newDir(), cfg());
    await log.append(fillerBatch(5, 500));
    await log.append(fillerBatch(1, 10));
    await log.append(fillerBatch(1, 10));
    const r = await log.read(0, 10);
    assert.deepEqual(batchesOf(r.records), [[0, 4]]);
    assert.equal((await log.read(0, 10, undefined, false)).bytes, 0);
    const up = await log.read(0, 1 << 20, 6);
    assert.deepEqual(batchesOf(up.records), [
      [0, 4],
      [5, 5],
    ]);
    assert.equal((await log.read(0, 1 << 20, 3)).bytes, 0);
    await log.close();
  });

  it('rejects batches over max.message.bytes and follower appends below the log end', async () => {
    const log = await Log.open(newDir(), cfg({ maxMessageBytes: 1000 }));
    await assert.rejects(log.append(fillerBatch(3, 400)), RecordBatchTooLargeError);
    await log.append(fillerBatch(2, 10));
    await assert.rejects(
      log.appendAsFollower(buildBatchSync([{ value: 'x' }], { baseOffset: 1 })),
      UnexpectedAppendOffsetError,
    );
    const r = await log.appendAsFollower(
      buildBatchSync([{ value: 'x' }], { baseOffset: 7, partitionLeaderEpoch: 3 }),
    );
    assert.deepEqual([r.firstOffset, r.lastOffset], [7, 7]);
    assert.equal(log.logEndOffset, 8);
    assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 7 });
    assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: -1, endOffset: -1 });
    assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 8 });
    await log.close();
  });

  it('indexes once per append (Kafka: last offset of the append → its first byte) and finds every offset', async () => {
    const dir = newDir();
    const config = cfg({ indexIntervalBytes: 100 });
    const log = await Log.open(dir, config);
    const appends = 12;
    for (let i = 0; i < appends; i++) {
      const batches = Array.from({ length: 4 }, (_, k) =>
        fillerBatch(1 + k, 60, 1_000 + i * 10 + k, i * 10 + k),
      );
      const r = await log.append(Buffer.concat(batches));
      // The largest timestamp is that of the last batch; its offset is that batch's last offset.
      assert.equal(r.maxTimestamp, 1_000 + i * 10 + 3 + 3);
      assert.equal(r.offsetOfMaxTimestamp, r.lastOffset);
    }
    const seg = log.segments[0]!;
    // Every append after the first crosses index.interval.bytes: one entry each, never one per batch.
    assert.equal(seg.offsetIndex.count, appends - 1);
    for (let i = 0; i < seg.offsetIndex.count; i++) assert.equal((seg.offsetIndex.offsetAt(i) + 1) % 10, 0);
    const check = async (l: Log) => {
      for (let o = 0; o < l.logEndOffset; o++) {
        const r = await l.read(o, 1);
        const [first] = batchesOf(r.records);
        assert.ok(first && first[0] <= o && o <= first[1], `offset ${o}: ${first}`);
      }
    };
    await check(log);
    await log.close();
    // Recovery from a recovery point inside an append resumes from the index and keeps it consistent.
    const again = await Log.open(dir, config, { recoveryPoint: 55 });
    await check(again);
    assert.equal(again.logEndOffset, appends * 10);
    await again.close();
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const log = await Log.open(newDir(), cfg({ messageTimestampType: 'LogAppendTime' }));
    const b = fillerBatch(2, 10, 1000);
    const r = await log.append(b, { appendTime: 424242 });
    assert.equal(r.appendTime, 424242);
    assert.equal(maxTimestamp(b, 0), 424242);
    assert.equal(storedCrc(b, 0), computeCrc(b, 0));
    await log.close();
  });
});

describe('Log segments', () => {
  it('rolls at segment.bytes with Kafka file names and reopens to the same state', async () => {
    const dir = newDir();
    const log = await Log.open(dir, cfg({ segmentBytes: 4096 }));
    for (let i = 0; i < 20; i++) await log.append(fillerBatch(2, 400));
    assert.ok(log.segmentCount > 3, `segments ${log.segmentCount}`);
    const files = fs.readdirSync(dir);
    for (const base of log.segmentBaseOffsets()) {
      const stem = String(base).padStart(20, '0');
      assert.ok(files.includes(`${stem}.log`), `${stem}.log`);
    }
    const before = await log.read(0, 1 << 20);
    const all: Array<[number, number]> = [];
    for (let o = 0; o < log.logEndOffset; ) {
      const r = await log.read(o, 1 << 20);
      all.push(...batchesOf(r.records));
      o = r.nextOffset;
    }
    assert.equal(all.length, 20);
    await log.close();
    const again = await Log.open(dir, cfg({ segmentBytes: 4096 }), { recoveryPoint: 40 });
    assert.equal(again.logEndOffset, 40);
    assert.deepEqual(await again.read(0, 1 << 20), before);
    const r = await again.append(fillerBatch(1, 10));
    assert.equal(r.firstOffset, 40);
    await again.close();
  });

  it('rolls at segment.ms measured from batch timestamps', async () => {
    const log = await Log.open(newDir(), cfg({ segmentMs: 1000 }));
    await log.append(fillerBatch(1, 10, 10_000));
    await log.append(fillerBatch(1, 10, 10_500));
    assert.equal(log.segmentCount, 1);
    await log.append(fillerBatch(1, 10, 11_001));
    assert.equal(log.segmentCount, 2);
    await log.close();
  });

  it('bounds open segment files', async () => {
    const pool = new HandlePool(3);
    const log = await Log.open(newDir(), cfg({ segmentBytes: 2048 }), { handles: pool });
    for (let i = 0; i < 30; i++) await log.append(fillerBatch(1, 900));
    for (let o = 0; o < 30; o++) await log.read(o, 100);
    assert.ok(pool.openCount <= 3, `open ${pool.openCount}`);
    await log.close();
  });
});

describe('Log truncation, deletion and retention', () => {
  it('truncateTo removes whole batches and sets the log end', async () => {
    const log = await Log.open(newDir(), cfg({ segmentBytes: 2048 }));
    for (let i = 0; i < 10; i++) await log.append(fillerBatch(3, 300), { leaderEpoch: i < 5 ? 1 : 2 });
    await log.truncateTo(14);
    assert.equal(log.logEndOffset, 14);
    const all: Array<[number, number]> = [];
    for (let o = 0; o < log.logEndOffset; ) {
      const r = await log.read(o, 1 << 20);
      if (r.bytes === 0) break;
      all.push(...batchesOf(r.records));
      o = r.nextOffset;
    }
    assert.deepEqual(all.at(-1), [9, 11]);
    assert.deepEqual(log.endOffsetForEpoch(1), { leaderEpoch: 1, endOffset: 14 });
    const r = await log.append(fillerBatch(1, 10));
    assert.equal(r.firstOffset, 14);
    await log.truncateTo(0);
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.size, 0);
    await log.close();
  });

  it('deleteRecordsBefore moves the log start and drops whole segments', async () => {
    const log = await Log.open(newDir(), cfg({ segmentBytes: 2048 }));
    for (let i = 0; i < 10; i++) await log.append(fillerBatch(2, 500));
    const segs = log.segmentCount;
    assert.equal(await log.deleteRecordsBefore(9), 9);
    assert.ok(log.segmentCount < segs);
    await assert.rejects(log.read(8, 100), OffsetOutOfRangeError);
    const r = await log.read(9, 1 << 20);
    assert.deepEqual(batchesOf(r.records)[0], [8, 9]);
    await assert.rejects(log.deleteRecordsBefore(21), OffsetOutOfRangeError);
    await log.close();
  });

  it('retention by bytes and by time deletes the oldest whole segments', async () => {
    let now = 2_000_000;
    const log = await Log.open(newDir(), cfg({ segmentBytes: 2048, retentionBytes: 5000, retentionMs: -1 }), {
      now: () => now,
    });
    for (let i = 0; i < 20; i++) await log.append(fillerBatch(1, 900, 1_000_000 + i * 1000));
    await log.deleteOldSegments();
    assert.ok(log.size <= 5000 + 2048, `size ${log.size}`);
    assert.ok(log.logStartOffset > 0);
    log.updateConfig(cfg({ segmentBytes: 2048, retentionBytes: -1, retentionMs: 985_500 }));
    now = 2_000_000;
    await log.deleteOldSegments();
    // Newest batch timestamp 1_019_000: segments whose newest timestamp is older than 1_014_500 go.
    assert.ok(log.logStartOffset >= 13, `log start ${log.logStartOffset}`);
    now = 10_000_000;
    await log.deleteOldSegments();
    assert.equal(log.logStartOffset, 20);
    assert.equal(log.logEndOffset, 20);
    assert.equal((await log.append(fillerBatch(1, 10))).firstOffset, 20);
    await log.close();
  });
});

describe('Log timestamps', () => {
  it('finds the first batch with timestamp >= T and the max timestamp', async () => {
    const log = await Log.open(newDir(), cfg({ segmentBytes: 2048, indexIntervalBytes: 100 }));
    const ts = [100, 300, 200, 500, 400, 500, 600];
    for (const t of ts) await log.append(fillerBatch(1, 600, t));
    assert.deepEqual(await log.offsetForTimestamp(50), { offset: 0, timestamp: 100, leaderEpoch: -1 });
    assert.equal((await log.offsetForTimestamp(250))?.offset, 1);
    assert.equal((await log.offsetForTimestamp(450))?.offset, 3);
    assert.equal((await log.offsetForTimestamp(600))?.offset, 6);
    assert.equal(await log.offsetForTimestamp(601), null);
    assert.deepEqual(await log.offsetOfMaxTimestamp(), { offset: 6, timestamp: 600, leaderEpoch: -1 });
    await log.close();
  });
});

describe('Log durability', () => {
  it('fsync mode resolves concurrent appends with group commit, in order', async () => {
    const log = await Log.open(newDir(), cfg(), { durability: 'fsync' });
    const rs = await Promise.all(Array.from({ length: 50 }, () => log.append(fillerBatch(1, 10))));
    assert.deepEqual(
      rs.map((r) => r.firstOffset),
      Array.from({ length: 50 }, (_, i) => i),
    );
    await log.close();
  });

  it('flush moves the recovery point', async () => {
    const log = await Log.open(newDir(), cfg({ flushMessages: 3 }));
    await log.append(fillerBatch(1, 10));
    await log.append(fillerBatch(1, 10));
    assert.equal(log.recoveryPoint, 0);
    await log.append(fillerBatch(1, 10));
    assert.equal(log.recoveryPoint, 3);
    await log.close();
  });
});
