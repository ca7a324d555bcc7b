/**
 * Property test: random sequences of append, read, roll, retention, delete-records, truncate and
 * reopen agree with a simple in-memory model of the log (a list of batches and two offsets).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { baseOffset, batchSize, lastOffset } from '../../../src/protocol/records/batch.js';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.js';
import { OffsetOutOfRangeError } from '../../../src/storage/errors.js';
import { Log } from '../../../src/storage/log.js';
import { fillerBatch } from '../../helpers/record-batch.js';

const root = fs.mkdtempSync(join(tmpdir(), 'gregor-model-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

type Op =
  | { t: 'append'; batches: Array<{ count: number; bytes: number }> }
  | { t: 'read'; at: number; maxBytes: number }
  | { t: 'roll' }
  | { t: 'retain'; bytes: number }
  | { t: 'deleteBefore'; at: number }
  | { t: 'truncate'; at: number }
  | { t: 'reopen'; trustRecoveryPoint: boolean };

interface ModelBatch {
  base: number;
  last: number;
  bytes: Buffer;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      batches: fc.array(
        fc.record({ count: fc.integer({ min: 1, max: 5 }), bytes: fc.integer({ min: 0, max: 300 }) }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('read' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      maxBytes: fc.integer({ min: 0, max: 5000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('roll' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('retain' as const), bytes: fc.integer({ min: 0, max: 20000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('deleteBefore' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('reopen' as const), trustRecoveryPoint: fc.boolean() }),
  },
);

function split(bufs: Buffer[]): ModelBatch[] {
  const out: ModelBatch[] = [];
  for (const b of bufs)
    for (let p = 0; p < b.length; p += batchSize(b, p))
      out.push({ base: baseOffset(b, p), last: lastOffset(b, p), bytes: b.subarray(p, p + batchSize(b, p)) });
  return out;
}

let runId = 0;

async function run(ops: Op[]): Promise<void> {
  const dir = join(root, `r${runId++}`);
  const config: LogConfig = defaultLogConfig({
    segmentBytes: 6000,
    indexIntervalBytes: 256,
    fileDeleteDelayMs: 0,
    retentionMs: -1,
  });
  let log = await Log.open(dir, config);
  let model: ModelBatch[] = [];
  let lso = 0;
  let leo = 0;
  const pick = (f: number) => lso + Math.floor(f * (leo - lso + 1) * 0.999999);
  const visible = () => model.filter((b) => b.last >= lso);
  try {
    for (const op of ops) {
      switch (op.t) {
        case 'append': {
          const buf = Buffer.concat(
            op.batches.map((b, i) => fillerBatch(b.count, b.bytes, 1000 + leo, leo + i)),
          );
          const r = await log.append(buf);
          assert.equal(r.firstOffset, leo);
          for (const b of split([buf])) model.push({ ...b, bytes: Buffer.from(b.bytes) });
          leo = r.lastOffset + 1;
          break;
        }
        case 'read': {
          const at = pick(op.at);
          const r = await log.read(at, op.maxBytes);
          const got = split(r.records);
          if (at === leo) assert.equal(got.length, 0);
          else {
            const expect = model.filter((b) => b.last >= at);
            assert.ok(got.length >= 1, `read at ${at} returned nothing`);
            assert.ok(got.length === 1 || r.bytes <= op.maxBytes, 'maxBytes exceeded');
            for (const [i, g] of got.entries())
              assert.deepEqual(g.bytes, expect[i]!.bytes, `batch ${i} of read at ${at}`);
          }
          await assert.rejects(log.read(leo + 1, 100), OffsetOutOfRangeError);
          if (lso > 0) await assert.rejects(log.read(lso - 1, 100), OffsetOutOfRangeError);
          break;
        }
        case 'roll':
          log.roll();
          break;
        case 'retain': {
          log.updateConfig({ ...config, retentionBytes: op.bytes });
          await log.deleteOldSegments();
          log.updateConfig(config);
          assert.ok(log.logStartOffset >= lso);
          lso = log.logStartOffset;
          break;
        }
        case 'deleteBefore': {
          const at = pick(op.at);
          assert.equal(await log.deleteRecordsBefore(at), Math.max(lso, at));
          lso = Math.max(lso, at);
          break;
        }
        case 'truncate': {
          const at = pick(op.at);
          await log.truncateTo(at);
          if (at < leo) {
            model = model.filter((b) => b.last < at);
            leo = at;
          }
          break;
        }
        case 'reopen': {
          const rp = op.trustRecoveryPoint ? log.recoveryPoint : 0;
          await log.close();
          log = await Log.open(dir, config, { recoveryPoint: rp, logStartOffset: lso });
          // A truncation inside a batch leaves the log end at the truncation offset until a reopen,
          // which rebuilds it from the files (Kafka's behaviour too): the end of the last batch, at
          // least the last segment's base offset, at least the log start.
          leo = Math.max(model.at(-1) ? model.at(-1)!.last + 1 : 0, log.segmentBaseOffsets().at(-1)!, lso);
          break;
        }
      }
      assert.equal(log.logEndOffset, leo, `log end after ${op.t}`);
      assert.equal(log.logStartOffset, lso, `log start after ${op.t}`);
    }
    // Full scan from the log start equals the model.
    const seen: ModelBatch[] = [];
    for (let o = lso; o < leo; ) {
      const r = await log.read(o, 1 << 20);
      const got = split(r.records);
      if (got.length === 0) break;
      seen.push(...got);
      o = r.nextOffset;
    }
    const expect = visible();
    assert.equal(seen.length, expect.length);
    for (const [i, g] of seen.entries()) assert.deepEqual(g.bytes, expect[i]!.bytes);
  } finally {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Log against an in-memory model', () => {
  it('agrees on random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 60 }), (ops) => run(ops)),
      { numRuns: Number(process.env.GREGOR_PROPERTY_RUNS ?? 100) },
    );
  });
});
