import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { updateCrc } from '../../src/protocol/records/batch.js';
import { buildBatch, type RecordInput } from '../../src/protocol/records/builder.js';
import { RecordBatchError } from '../../src/protocol/records/errors.js';
import { decodeBatch } from '../../src/protocol/records/records.js';
import { validateRecords } from '../../src/protocol/records/validate.js';
import { CODECS } from './records-helpers.js';

const T0 = 1_700_000_000_000;
const CONFIG = { maxMessageBytes: 1 << 20 };

const bytes = fc.option(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 12 }), value: bytes }), {
    maxLength: 4,
  }),
  timestamp: fc.integer({ min: T0 - 10_000_000, max: T0 + 10_000_000 }),
});
const recordsArb = fc.array(recordArb, { minLength: 1, maxLength: 20 });
const codecArb = fc.constantFrom(...CODECS);

/** Runs `f` and fails the property if it throws anything but RecordBatchError. */
async function onlyTypedErrors(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof RecordBatchError)) throw e;
  }
}

describe('records: properties', () => {
  it('build → decode returns the records, and the batch validates, for every codec', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb, codecArb, async (records, compression) => {
        const batch = await buildBatch(records, { compression });
        const v = validateRecords(batch, CONFIG);
        assert.ok(v.ok, v.ok ? '' : v.error.message);
        assert.equal(v.recordCount, records.length);
        assert.equal(v.maxTimestamp, Math.max(...records.map((r) => r.timestamp!)));
        const d = await decodeBatch(batch);
        assert.deepEqual(
          d.records,
          records.map((r, i) => ({
            offset: i,
            timestamp: r.timestamp,
            key: r.key,
            value: r.value,
            headers: r.headers!.map((h) => ({ key: h.key, value: h.value })),
          })),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('truncated or mutated batches: validation returns a result, decoding only RecordBatchError', async () => {
    await fc.assert(
      fc.asyncProperty(
        recordsArb,
        codecArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        async (records, compression, flips, cut, fixCrc) => {
          const batch = Buffer.from(await buildBatch(records, { compression }));
          for (const [at, xor] of flips) batch[at % batch.length]! ^= xor;
          const mutated = cut === undefined ? batch : batch.subarray(0, cut % batch.length);
          // With the CRC recomputed the damage reaches the record and codec parsers.
          if (fixCrc && mutated.length >= 61) {
            const size = Math.min(mutated.length, 12 + Math.max(0, mutated.readInt32BE(8)));
            if (size >= 61) updateCrc(mutated, 0, size);
          }
          const result = validateRecords(mutated, CONFIG);
          if (!result.ok) assert.ok(result.error instanceof RecordBatchError);
          for (const origin of ['coordinator', 'replication'] as const)
            validateRecords(mutated, CONFIG, { origin });
          await onlyTypedErrors(() => decodeBatch(mutated, 0, { maxDecompressedBytes: 1 << 20 }));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('arbitrary bytes never crash validation or decoding', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (raw) => {
        const buf = Buffer.from(raw);
        validateRecords(buf, CONFIG);
        validateRecords(buf, CONFIG, { origin: 'replication' });
        await onlyTypedErrors(() => decodeBatch(buf, 0, { verifyCrc: false }));
      }),
      { numRuns: 500 },
    );
  });
});
