import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BatchAttributes,
  BatchOffsets,
  Compression,
  setBaseOffset,
  setPartitionLeaderEpoch,
  writeInt64,
} from '../../src/protocol/records/batch.js';
import {
  buildBatch,
  buildBatchSync,
  buildEndTxnMarker,
  type RecordInput,
} from '../../src/protocol/records/builder.js';
import {
  type RecordsConfig,
  type ValidRecords,
  validateRecords,
} from '../../src/protocol/records/validate.js';
import { assertRejected, CODECS, edited } from './records-helpers.js';

const T0 = 1_700_000_000_000;
const CONFIG: RecordsConfig = { maxMessageBytes: 1_048_588 };
const RECORDS: RecordInput[] = [
  { key: 'a', value: 'one', timestamp: T0 },
  { key: 'b', value: 'two', timestamp: T0 + 30 },
  { key: null, value: 'three', headers: [{ key: 'h', value: 'v' }], timestamp: T0 + 10 },
];
const batch = buildBatchSync(RECORDS);

function valid(records: Buffer, config = CONFIG, context = {}): ValidRecords {
  const result = validateRecords(records, config, context);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result;
}

describe('validateRecords: accepted batches', () => {
  for (const compression of CODECS) {
    it(`a client batch (${compression}) reports what the append needs`, async () => {
      const b = await buildBatch(RECORDS, {
        compression,
        producerId: 77,
        producerEpoch: 3,
        baseSequence: 12,
      });
      const copy = Buffer.from(b);
      assert.deepEqual(valid(b), {
        ok: true,
        batchCount: 1,
        recordCount: 3,
        bytes: b.length,
        firstOffset: 0,
        lastOffset: 2,
        maxTimestamp: T0 + 30,
        offsetOfMaxTimestamp: 2,
        producerId: 77,
        producerEpoch: 3,
        baseSequence: 12,
        transactional: false,
        control: false,
        compression: Compression[compression],
      });
      assert.deepEqual(b, copy, 'validation never writes');
    });
  }

  it('a transactional batch is flagged', () => {
    const b = buildBatchSync(RECORDS, {
      producerId: 5,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    });
    assert.equal(valid(b).transactional, true);
  });

  it('partitionLeaderEpoch is outside the CRC and not checked', () => {
    const b = Buffer.from(batch);
    setPartitionLeaderEpoch(b, 0, 99);
    valid(b);
  });

  it('a batch of exactly max.message.bytes is accepted', () => {
    valid(batch, { maxMessageBytes: batch.length });
  });
});

describe('validateRecords: Kafka error codes', () => {
  it('empty records: INVALID_RECORD', () => {
    assertRejected(validateRecords(Buffer.alloc(0), CONFIG), 'INVALID_RECORD', /at least one record batch/);
  });

  it('fewer bytes than a batch header, or a batch running past the buffer: INVALID_RECORD', () => {
    for (const len of [1, 11, 12, 16, 17, 60, batch.length - 1]) {
      assertRejected(
        validateRecords(batch.subarray(0, len), CONFIG),
        'INVALID_RECORD',
        /no complete record batch/,
      );
    }
  });

  it('batchLength below the 49-byte minimum: CORRUPT_MESSAGE', () => {
    for (const length of [-1, 0, 13, 48]) {
      const b = edited(batch, (x) => x.writeInt32BE(length, BatchOffsets.batchLength), false);
      assertRejected(validateRecords(b, CONFIG), 'CORRUPT_MESSAGE', /batchLength/);
    }
  });

  it('magic outside 0..2: CORRUPT_MESSAGE; magic 0 or 1: INVALID_RECORD', () => {
    for (const m of [3, 0x7f, -1]) {
      assertRejected(
        validateRecords(
          edited(batch, (x) => x.writeInt8(m, BatchOffsets.magic)),
          CONFIG,
        ),
        'CORRUPT_MESSAGE',
        /invalid magic/,
      );
    }
    for (const m of [0, 1]) {
      assertRejected(
        validateRecords(
          edited(batch, (x) => x.writeInt8(m, BatchOffsets.magic)),
          CONFIG,
        ),
        'INVALID_RECORD',
        /magic/,
      );
    }
  });

  it('CRC mismatch anywhere in the covered bytes: CORRUPT_MESSAGE', () => {
    for (let pos = BatchOffsets.attributes; pos < batch.length; pos++) {
      const b = edited(batch, (x) => (x[pos]! ^= 0x10), false);
      const result = validateRecords(b, CONFIG);
      assert.equal(result.ok, false, `flip at ${pos}`);
      if (!result.ok)
        assert.equal(result.error.errorName, 'CORRUPT_MESSAGE', `flip at ${pos}: ${result.error.message}`);
    }
    assertRejected(
      validateRecords(
        edited(batch, (x) => (x[BatchOffsets.crc]! ^= 1), false),
        CONFIG,
      ),
      'CORRUPT_MESSAGE',
      /crc/,
    );
  });

  it('a batch over max.message.bytes: MESSAGE_TOO_LARGE (before the CRC is even computed)', () => {
    assertRejected(validateRecords(batch, { maxMessageBytes: batch.length - 1 }), 'MESSAGE_TOO_LARGE');
    const corrupt = edited(batch, (x) => (x[x.length - 1]! ^= 1), false);
    assertRejected(validateRecords(corrupt, { maxMessageBytes: 10 }), 'MESSAGE_TOO_LARGE');
  });

  it('records larger than segment.bytes: RECORD_LIST_TOO_LARGE', () => {
    assertRejected(
      validateRecords(batch, { ...CONFIG, segmentBytes: batch.length - 1 }),
      'RECORD_LIST_TOO_LARGE',
    );
    valid(batch, { ...CONFIG, segmentBytes: batch.length });
  });

  it('two batches in one Produce partition: INVALID_RECORD, also from an idempotent producer', () => {
    const idempotent = buildBatchSync(RECORDS, { producerId: 1, producerEpoch: 0, baseSequence: 0 });
    const next = buildBatchSync(RECORDS, { producerId: 1, producerEpoch: 0, baseSequence: 3 });
    for (const records of [Buffer.concat([batch, batch]), Buffer.concat([idempotent, next])]) {
      assertRejected(validateRecords(records, CONFIG), 'INVALID_RECORD', /exactly one record batch/);
      assertRejected(
        validateRecords(records, CONFIG, { origin: 'coordinator' }),
        'INVALID_RECORD',
        /exactly one record batch/,
      );
    }
  });

  it('bytes after the batch that do not form one: INVALID_RECORD (Kafka drops them silently)', () => {
    for (const tail of [Buffer.alloc(1), Buffer.alloc(11), batch.subarray(0, 30)]) {
      assertRejected(
        validateRecords(Buffer.concat([batch, tail]), CONFIG),
        'INVALID_RECORD',
        /after the last/,
      );
    }
  });

  it('a produced batch must have baseOffset 0: INVALID_RECORD', () => {
    const b = Buffer.from(batch);
    setBaseOffset(b, 0, 5);
    assertRejected(validateRecords(b, CONFIG), 'INVALID_RECORD', /baseOffset/);
  });

  it('recordsCount inconsistent with lastOffsetDelta: INVALID_RECORD', () => {
    const cases: [number, number, RegExp][] = [
      [1, 3, /does not match/],
      [3, 3, /does not match/],
      [-1, 0, /lastOffsetDelta -1/],
      [0, 0, /records count 0/],
      [2, -5, /records count -5/],
    ];
    for (const [lastOffsetDelta, count, pattern] of cases) {
      const b = edited(batch, (x) => {
        x.writeInt32BE(lastOffsetDelta, BatchOffsets.lastOffsetDelta);
        x.writeInt32BE(count, BatchOffsets.recordsCount);
      });
      assertRejected(validateRecords(b, CONFIG), 'INVALID_RECORD', pattern);
    }
  });

  it('a records count the bytes cannot hold (7 bytes per record at least): INVALID_RECORD', () => {
    const b = edited(batch, (x) => {
      x.writeInt32BE(999, BatchOffsets.lastOffsetDelta);
      x.writeInt32BE(1000, BatchOffsets.recordsCount);
    });
    assertRejected(validateRecords(b, CONFIG), 'INVALID_RECORD', /claims 1000 records/);
  });

  it('a control batch from a client: INVALID_RECORD; from the coordinator: accepted', () => {
    const marker = buildEndTxnMarker({ commit: false, producerId: 9, producerEpoch: 1, coordinatorEpoch: 0 });
    assertRejected(validateRecords(marker, CONFIG), 'INVALID_RECORD', /control records/);
    assert.equal(valid(marker, CONFIG, { origin: 'coordinator' }).control, true);
  });

  it('a producer id without a base sequence: INVALID_RECORD', () => {
    const b = buildBatchSync(RECORDS, { producerId: 3, producerEpoch: 0, baseSequence: -1 });
    assertRejected(validateRecords(b, CONFIG), 'INVALID_RECORD', /sequence/);
  });

  it('zstd in a Produce request before v7: UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const b = await buildBatch(RECORDS, { compression: 'zstd' });
    assertRejected(validateRecords(b, CONFIG, { produceVersion: 6 }), 'UNSUPPORTED_COMPRESSION_TYPE', /zstd/);
    valid(b, CONFIG, { produceVersion: 7 });
    valid(buildBatchSync(RECORDS, { compression: 'gzip' }), CONFIG, { produceVersion: 3 });
  });

  it('an unknown compression codec (5..7): UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const codec of [5, 6, 7]) {
      const b = edited(batch, (x) => x.writeInt16BE(codec, BatchOffsets.attributes));
      assertRejected(validateRecords(b, CONFIG), 'UNSUPPORTED_COMPRESSION_TYPE', /unknown compression/);
    }
  });
});

describe('validateRecords: timestamps', () => {
  const now = T0 + 1000;
  const bounded: RecordsConfig = {
    ...CONFIG,
    messageTimestampType: 'CreateTime',
    messageTimestampBeforeMaxMs: 60_000,
    messageTimestampAfterMaxMs: 3_600_000,
  };

  it('CreateTime within [now - before, now + after] is accepted', () => {
    valid(batch, bounded, { now });
  });

  it('a timestamp too far in the future or the past: INVALID_TIMESTAMP', () => {
    const future = buildBatchSync([{ value: 'x', timestamp: now + 3_600_001 }]);
    assertRejected(validateRecords(future, bounded, { now }), 'INVALID_TIMESTAMP', /out of range/);
    const past = buildBatchSync([
      { value: 'x', timestamp: now - 60_001 },
      { value: 'y', timestamp: now },
    ]);
    assertRejected(validateRecords(past, bounded, { now }), 'INVALID_TIMESTAMP', /out of range/);
  });

  it('no bounds (Long.MAX_VALUE) accept any timestamp', () => {
    const ancient = buildBatchSync([{ value: 'x', timestamp: 0 }]);
    valid(ancient, { ...CONFIG, messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER }, { now });
    valid(ancient, CONFIG);
  });

  it('records without timestamps (-1) are not range-checked', () => {
    valid(buildBatchSync([{ value: 'x', timestamp: -1 }]), bounded, { now });
  });

  it('a LogAppendTime batch from a producer: INVALID_TIMESTAMP on LogAppendTime topics', () => {
    const lat = edited(batch, (x) =>
      x.writeInt16BE(BatchAttributes.timestampTypeLogAppendTime, BatchOffsets.attributes),
    );
    assertRejected(
      validateRecords(lat, { ...CONFIG, messageTimestampType: 'LogAppendTime' }),
      'INVALID_TIMESTAMP',
      /LogAppendTime/,
    );
    // On a CreateTime topic Kafka takes maxTimestamp as every record's timestamp: -1 is refused.
    const noTime = edited(lat, (x) => writeInt64(x, -1, BatchOffsets.maxTimestamp));
    assertRejected(validateRecords(noTime, CONFIG), 'INVALID_TIMESTAMP', /LogAppendTime/);
    valid(lat, CONFIG);
  });

  it('a CreateTime batch on a LogAppendTime topic is accepted whatever its timestamps', () => {
    const old = buildBatchSync([{ value: 'x', timestamp: 1 }]);
    valid(old, { ...bounded, messageTimestampType: 'LogAppendTime' }, { now });
  });
});

describe('validateRecords: replication', () => {
  it('takes several batches with the leader’s offsets and leaves a partial tail out of `bytes`', async () => {
    const a = buildBatchSync(RECORDS);
    const b = await buildBatch(RECORDS.slice(0, 2), { compression: 'lz4' });
    setBaseOffset(a, 0, 1000);
    setBaseOffset(b, 0, 1003);
    const whole = Buffer.concat([a, b]);
    const r = valid(Buffer.concat([whole, b.subarray(0, 40)]), CONFIG, { origin: 'replication' });
    assert.equal(r.batchCount, 2);
    assert.equal(r.bytes, whole.length);
    assert.equal(r.recordCount, 5);
    assert.equal(r.firstOffset, 1000);
    assert.equal(r.lastOffset, 1004);
    assert.equal(r.maxTimestamp, T0 + 30);
    assert.equal(r.offsetOfMaxTimestamp, 1002);
  });

  it('an empty fetch is nothing to append', () => {
    const r = valid(Buffer.alloc(0), CONFIG, { origin: 'replication' });
    assert.equal(r.batchCount, 0);
    assert.equal(r.bytes, 0);
    assert.equal(r.firstOffset, -1);
  });

  it('still checks each batch’s CRC and size', () => {
    const bad = edited(batch, (x) => (x[x.length - 1]! ^= 1), false);
    assertRejected(
      validateRecords(Buffer.concat([batch, bad]), CONFIG, { origin: 'replication' }),
      'CORRUPT_MESSAGE',
    );
    assertRejected(
      validateRecords(Buffer.concat([batch, batch]), { maxMessageBytes: 10 }, { origin: 'replication' }),
      'MESSAGE_TOO_LARGE',
    );
  });
});
