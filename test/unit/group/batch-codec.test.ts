import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchFormatError, buildBatch, recordsOf } from '../../../src/group/batch-codec.js';
import { computeCrc, lastOffsetDelta, recordsCount, storedCrc } from '../../../src/protocol/records/batch.js';

describe('__consumer_offsets batches', () => {
  it('builds a valid v2 batch and reads its records back, tombstones included', () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1') },
      { key: Buffer.from('k2'), value: null },
      { key: Buffer.alloc(300, 7), value: Buffer.alloc(70_000, 9) },
    ];
    const batch = buildBatch(records, 1_700_000_000_000);
    assert.equal(storedCrc(batch, 0), computeCrc(batch, 0));
    assert.equal(recordsCount(batch, 0), 3);
    assert.equal(lastOffsetDelta(batch, 0), 2);
    const two = Buffer.concat([batch, buildBatch([{ key: Buffer.from('k3'), value: Buffer.from('') }], 1)]);
    const read = [...recordsOf(two)].map((r) => ({
      key: Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
    }));
    assert.deepEqual(read, [...records, { key: Buffer.from('k3'), value: Buffer.from('') }]);
  });

  it('stops at a torn trailing batch and refuses a corrupt one', () => {
    const batch = buildBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], 5);
    assert.equal([...recordsOf(batch.subarray(0, batch.length - 1))].length, 0);
    const corrupt = Buffer.from(batch);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    assert.throws(() => [...recordsOf(corrupt)], BatchFormatError);
  });
});
