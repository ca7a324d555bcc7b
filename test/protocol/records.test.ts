import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createRecordsBatch, Reader, readRecordsBatch } from '@platformatic/kafka';
import {
  BatchOffsets,
  Compression,
  compressionOf,
  lastOffset,
  RECORD_BATCH_OVERHEAD,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  TimestampType,
  writeInt64,
} from '../../src/protocol/records/batch.js';
import {
  buildBatch,
  buildBatchSync,
  buildEndTxnMarker,
  controlRecordKey,
  type RecordInput,
} from '../../src/protocol/records/builder.js';
import {
  compressSync,
  decompress,
  snappyXerialCompressSync,
} from '../../src/protocol/records/compression.js';
import {
  ControlRecordType,
  checkBatch,
  decodeBatch,
  decodeBatches,
  parseControlRecordKey,
  parseEndTxnMarker,
  readRecords,
} from '../../src/protocol/records/records.js';
import { validateRecords } from '../../src/protocol/records/validate.js';
import { assertRecordError, CODECS, edited } from './records-helpers.js';

const require = createRequire(import.meta.url);

const T0 = 1_700_000_000_000;

const SAMPLE: RecordInput[] = [
  {
    key: 'key-0',
    value: 'value-0',
    headers: [
      { key: 'h1', value: 'x' },
      { key: 'h1', value: null },
    ],
    timestamp: T0,
  },
  { key: null, value: 'no key', timestamp: T0 + 5 },
  { key: 'tombstone', value: null, timestamp: T0 - 1000 },
  {
    key: Buffer.alloc(0),
    value: Buffer.alloc(0),
    headers: [{ key: 'ключ ✓', value: Buffer.alloc(0) }],
    timestamp: T0,
  },
  { key: 'big', value: Buffer.alloc(100_000, 'abcdefgh'), timestamp: T0 + 1 },
];

function bytesOf(v: RecordInput['key']): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function assertSameRecords(
  actual: {
    offset: number;
    timestamp: number;
    key: Buffer | null;
    value: Buffer | null;
    headers: unknown[];
  }[],
  expected: RecordInput[],
  baseOffset = 0,
): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    assert.equal(a.offset, baseOffset + i);
    assert.equal(a.timestamp, e.timestamp);
    assert.deepEqual(a.key, bytesOf(e.key));
    assert.deepEqual(a.value, bytesOf(e.value));
    assert.deepEqual(
      a.headers,
      (e.headers ?? []).map((h) => ({ key: h.key, value: bytesOf(h.value) })),
    );
  });
}

describe('build → iterate round trip', () => {
  for (const compression of CODECS) {
    it(`${compression}: keys, values, headers, nulls, empty and large fields`, async () => {
      const batch = await buildBatch(SAMPLE, { compression, baseOffset: 1_234_567_890_123 });
      assert.equal(compressionOf(batch, 0), Compression[compression]);
      const decoded = await decodeBatch(batch);
      assert.equal(decoded.size, batch.length);
      assert.equal(decoded.baseOffset, 1_234_567_890_123);
      assert.equal(decoded.lastOffsetDelta, SAMPLE.length - 1);
      assert.equal(decoded.baseTimestamp, T0);
      assert.equal(decoded.maxTimestamp, T0 + 5);
      assert.equal(decoded.compression, Compression[compression]);
      assertSameRecords(decoded.records, SAMPLE, 1_234_567_890_123);
    });
  }

  it('writes the producer fields, epoch and flags into the header', async () => {
    const batch = await buildBatch([{ value: 'v', timestamp: T0 }], {
      producerId: 9_007_199_254_740_000,
      producerEpoch: 7,
      baseSequence: 42,
      transactional: true,
      partitionLeaderEpoch: 3,
    });
    const d = await decodeBatch(batch);
    assert.equal(d.producerId, 9_007_199_254_740_000);
    assert.equal(d.producerEpoch, 7);
    assert.equal(d.baseSequence, 42);
    assert.equal(d.transactional, true);
    assert.equal(d.control, false);
    assert.equal(d.partitionLeaderEpoch, 3);
    assert.equal(d.timestampType, TimestampType.createTime);
  });

  it('defaults like the Java client: no producer id/epoch/sequence, leader epoch -1, baseOffset 0', () => {
    const batch = buildBatchSync([{ value: 'v', timestamp: T0 }]);
    assert.equal(batch.readInt32BE(BatchOffsets.partitionLeaderEpoch), -1);
    assert.equal(batch.readInt16BE(BatchOffsets.producerEpoch), -1);
    assert.equal(batch.readInt32BE(BatchOffsets.baseSequence), -1);
    assert.equal(batch.readBigInt64BE(BatchOffsets.producerId), -1n);
    assert.equal(batch.readBigInt64BE(BatchOffsets.baseOffset), 0n);
  });

  it('LogAppendTime batches give every record the batch maxTimestamp', async () => {
    const batch = await buildBatch(SAMPLE.slice(0, 3), { timestampType: TimestampType.logAppendTime });
    stampLogAppendTime(batch, 0, T0 + 99);
    const d = await decodeBatch(batch);
    assert.equal(d.timestampType, TimestampType.logAppendTime);
    assert.deepEqual(
      d.records.map((r) => r.timestamp),
      [T0 + 99, T0 + 99, T0 + 99],
    );
  });

  it('records without a timestamp take the batch base timestamp', async () => {
    const d = await decodeBatch(buildBatchSync([{ value: 'a' }, { value: 'b' }], { baseTimestamp: T0 }));
    assert.deepEqual(
      d.records.map((r) => r.timestamp),
      [T0, T0],
    );
  });

  it('buildBatchSync writes the same bytes as buildBatch for the synchronous codecs', async () => {
    for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
      const a = buildBatchSync(SAMPLE, { compression });
      const b = await buildBatch(SAMPLE, { compression });
      assert.deepEqual(a, b, compression);
    }
  });

  it('refuses an empty batch and invalid timestamps', () => {
    assert.throws(() => buildBatchSync([]), RangeError);
    assert.throws(() => buildBatchSync([{ value: 'v', timestamp: -2 }]), RangeError);
    assert.throws(() => buildBatchSync([{ value: 'v', timestamp: 1.5 }]), RangeError);
  });

  it('reads every batch of a concatenation, with offsets stamped in place', async () => {
    const a = await buildBatch(SAMPLE.slice(0, 2), { compression: 'lz4' });
    const b = await buildBatch(SAMPLE.slice(2), { compression: 'zstd' });
    setBaseOffset(a, 0, 100);
    setBaseOffset(b, 0, lastOffset(a, 0) + 1);
    setPartitionLeaderEpoch(b, 0, 5);
    const both = Buffer.concat([a, b]);
    const batches = [];
    for await (const batch of decodeBatches(both)) batches.push(batch);
    assert.deepEqual(
      batches.map((x) => [x.baseOffset, x.partitionLeaderEpoch, x.records.length]),
      [
        [100, -1, 2],
        [102, 5, 3],
      ],
    );
    const all = [];
    for await (const r of readRecords(both)) all.push(r);
    assertSameRecords(all, SAMPLE, 100);
  });
});

describe('CRC and corruption', () => {
  it('a flipped byte anywhere the CRC covers is CORRUPT_MESSAGE, for every codec', async () => {
    for (const compression of CODECS) {
      const batch = await buildBatch(SAMPLE.slice(0, 3), { compression });
      for (let pos = BatchOffsets.attributes; pos < batch.length; pos += 7) {
        const bad = edited(batch, (b) => (b[pos]! ^= 0x01), false);
        await assert.rejects(decodeBatch(bad), (e) => assertRecordError(e, 'CORRUPT_MESSAGE'));
      }
    }
  });

  it('a flipped CRC byte is CORRUPT_MESSAGE', async () => {
    const batch = edited(buildBatchSync(SAMPLE), (b) => (b[BatchOffsets.crc + 2]! ^= 0x80), false);
    await assert.rejects(decodeBatch(batch), (e) => assertRecordError(e, 'CORRUPT_MESSAGE'));
  });

  it('fields outside the CRC (baseOffset, partitionLeaderEpoch) change without breaking it', async () => {
    const batch = buildBatchSync(SAMPLE);
    setBaseOffset(batch, 0, 77);
    setPartitionLeaderEpoch(batch, 0, 12);
    assert.equal(checkBatch(batch), batch.length);
  });

  it('truncated batches are CORRUPT_MESSAGE, never a RangeError', async () => {
    const batch = buildBatchSync(SAMPLE.slice(0, 2));
    for (const len of [0, 1, 11, 12, 60, 61, batch.length - 1]) {
      await assert.rejects(decodeBatch(batch.subarray(0, len)), (e) =>
        assertRecordError(e, 'CORRUPT_MESSAGE'),
      );
    }
  });

  it('corrupt compressed data under a valid CRC is CORRUPT_MESSAGE', async () => {
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = await buildBatch(SAMPLE.slice(0, 2), { compression });
      const bad = edited(batch, (b) => b.fill(0x5a, RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD + 8));
      await assert.rejects(decodeBatch(bad), (e) => assertRecordError(e, 'CORRUPT_MESSAGE'));
    }
  });
});

describe('malformed records inside a sound batch are INVALID_RECORD', () => {
  // One record, zigzag varints: [len 8][attr][tsDelta 0][offDelta 0][keyLen -1][valueLen 2]'hi'[headers 0].
  const one = buildBatchSync([{ value: 'hi', timestamp: T0 }]);
  const R = RECORD_BATCH_OVERHEAD;

  const cases: [string, (b: Buffer) => Buffer][] = [
    [
      'a records count above the records present',
      (b) => edited(b, (x) => x.writeInt32BE(2, BatchOffsets.recordsCount)),
    ],
    ['a negative records count', (b) => edited(b, (x) => x.writeInt32BE(-1, BatchOffsets.recordsCount))],
    ['a record length past the batch', (b) => edited(b, (x) => (x[R] = 40))],
    ['a record length shorter than its fields', (b) => edited(b, (x) => (x[R] = 14))],
    ['a value length past the record', (b) => edited(b, (x) => (x[R + 5] = 20))],
    ['a negative header count', (b) => edited(b, (x) => (x[R + 8] = 1))],
    [
      'bytes left after the last record',
      (b) => {
        const longer = Buffer.concat([b, Buffer.from([0])]);
        longer.writeInt32BE(longer.length - 12, BatchOffsets.batchLength);
        return edited(longer, () => {});
      },
    ],
    [
      'a varint longer than 5 bytes',
      (b) => {
        const x = Buffer.concat([b.subarray(0, R), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]);
        x.writeInt32BE(x.length - 12, BatchOffsets.batchLength);
        return edited(x, () => {});
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      await assert.rejects(decodeBatch(make(one)), (e) => assertRecordError(e, 'INVALID_RECORD'));
    });
  }

  it('a negative header key size', async () => {
    const withHeader = buildBatchSync([{ value: 'hi', headers: [{ key: 'k', value: null }], timestamp: T0 }]);
    // ... [headers=1][keyLen=1]'k'[valueLen=-1]: make keyLen -1 (zigzag 1).
    const bad = edited(withHeader, (x) => {
      const at = x.indexOf(Buffer.from([2, 2, 0x6b]), R);
      x[at + 1] = 1;
    });
    await assert.rejects(decodeBatch(bad), (e) => assertRecordError(e, 'INVALID_RECORD'));
  });
});

describe('control records', () => {
  for (const commit of [true, false]) {
    it(`${commit ? 'COMMIT' : 'ABORT'} marker: built, validated as a coordinator write, parsed`, async () => {
      const marker = buildEndTxnMarker({
        commit,
        producerId: 4000,
        producerEpoch: 2,
        coordinatorEpoch: 17,
        partitionLeaderEpoch: 1,
        timestamp: T0,
      });
      const v = validateRecords(marker, { maxMessageBytes: 1 << 20 }, { origin: 'coordinator' });
      assert.ok(v.ok);
      assert.equal(v.control, true);
      assert.equal(v.transactional, true);
      assert.equal(v.producerId, 4000);
      const d = await decodeBatch(marker);
      assert.equal(d.control, true);
      assert.equal(d.transactional, true);
      assert.equal(d.baseSequence, -1);
      assert.equal(d.records.length, 1);
      const record = d.records[0]!;
      assert.deepEqual(parseControlRecordKey(record.key), {
        version: 0,
        type: commit ? ControlRecordType.commit : ControlRecordType.abort,
      });
      assert.deepEqual(parseEndTxnMarker(record), {
        type: commit ? ControlRecordType.commit : ControlRecordType.abort,
        version: 0,
        coordinatorEpoch: 17,
      });
    });
  }

  it('the marker bytes match Kafka’s layout: key 00 00 00 0t, value 00 00 + epoch', async () => {
    const d = await decodeBatch(
      buildEndTxnMarker({ commit: true, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0x01020304 }),
    );
    assert.deepEqual(d.records[0]!.key, Buffer.from([0, 0, 0, 1]));
    assert.deepEqual(d.records[0]!.value, Buffer.from([0, 0, 1, 2, 3, 4]));
  });

  it('unknown control types and newer versions are read as Kafka reads them', () => {
    assert.deepEqual(parseControlRecordKey(Buffer.from([0, 3, 0, 9, 0xff])), { version: 3, type: 9 });
    assert.deepEqual(parseControlRecordKey(controlRecordKey(ControlRecordType.leaderChange)), {
      version: 0,
      type: 2,
    });
  });

  it('malformed control records are INVALID_RECORD', () => {
    const bad: [Buffer | null, Buffer | null][] = [
      [null, Buffer.alloc(6)],
      [Buffer.from([0, 0, 0]), Buffer.alloc(6)],
      [Buffer.from([0xff, 0xff, 0, 1]), Buffer.alloc(6)],
      [Buffer.from([0, 0, 0, 2]), Buffer.alloc(6)],
      [Buffer.from([0, 0, 0, 1]), Buffer.alloc(5)],
      [Buffer.from([0, 0, 0, 0]), null],
      [Buffer.from([0, 0, 0, 0]), Buffer.from([0x80, 0, 0, 0, 0, 1])],
    ];
    for (const [key, value] of bad) {
      assert.throws(
        () => parseEndTxnMarker({ key, value }),
        (e) => assertRecordError(e, 'INVALID_RECORD'),
      );
    }
  });
});

describe('snappy framing', () => {
  it('Gregor writes raw snappy, which every client reads', async () => {
    const batch = await buildBatch(SAMPLE, { compression: 'snappy' });
    assert.notEqual(batch[RECORD_BATCH_OVERHEAD], 0x82);
    const raw = compressSync(Compression.snappy, Buffer.from('x'));
    assert.deepEqual(raw.subarray(0, 1), Buffer.from([1]));
  });

  it('reads the xerial framing the Java client writes (golden bytes, two chunks)', async () => {
    // 'SNAPPY'×50 + 'XERIAL'×50 in two 300-byte xerial chunks, as snappy-java frames them.
    const xerial = Buffer.from(
      '82534e41505059000000000100000001' +
        '00000018' +
        'ac0214534e41505059fe0600fe0600fe0600fe0600960600' +
        '00000018' +
        'ac021458455249414cfe0600fe0600fe0600fe0600960600',
      'hex',
    );
    const records = Buffer.from(`${'SNAPPY'.repeat(50)}${'XERIAL'.repeat(50)}`);
    assert.deepEqual(await decompress(Compression.snappy, xerial), records);
  });

  it('reads a batch whose records are xerial-framed in several chunks, and concatenated streams', async () => {
    const records = SAMPLE.map((r) => ({ ...r, value: r.value ?? 'tomb' }));
    const plain = buildBatchSync(records);
    const payload = plain.subarray(RECORD_BATCH_OVERHEAD);
    const half = payload.length >> 1;
    for (const section of [
      snappyXerialCompressSync(payload),
      Buffer.concat([
        snappyXerialCompressSync(payload.subarray(0, half)),
        snappyXerialCompressSync(payload.subarray(half)),
      ]),
    ]) {
      const batch = Buffer.concat([plain.subarray(0, RECORD_BATCH_OVERHEAD), section]);
      const fixed = edited(batch, (b) => {
        b.writeInt32BE(b.length - 12, BatchOffsets.batchLength);
        b.writeInt16BE(Compression.snappy, BatchOffsets.attributes);
      });
      assertSameRecords((await decodeBatch(fixed)).records, records);
    }
  });
});

describe('interoperability with real client encoders', () => {
  const kafkajs = {
    RecordBatch: require('kafkajs/src/protocol/recordBatch/v0').RecordBatch,
    Record: require('kafkajs/src/protocol/recordBatch/record/v0'),
    decode: require('kafkajs/src/protocol/recordBatch/v0/decoder'),
    Decoder: require('kafkajs/src/protocol/decoder'),
  };

  for (const compression of [0, 1]) {
    it(`KafkaJS-encoded batch (${compression ? 'gzip' : 'none'}) validates and iterates with ours`, async () => {
      const encoder = await kafkajs.RecordBatch({
        compression,
        firstTimestamp: T0,
        maxTimestamp: T0 + 7,
        lastOffsetDelta: 2,
        records: [
          kafkajs.Record({
            offsetDelta: 0,
            key: Buffer.from('a'),
            value: Buffer.from('1'),
            headers: { h: 'x' },
          }),
          kafkajs.Record({ offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.from('2') }),
          kafkajs.Record({ offsetDelta: 2, timestampDelta: 3, key: Buffer.from('c'), value: null }),
        ],
      });
      const bytes: Buffer = encoder.buffer;
      const v = validateRecords(bytes, { maxMessageBytes: 1 << 20 });
      assert.ok(v.ok, v.ok ? '' : v.error.message);
      assert.equal(v.recordCount, 3);
      assert.equal(v.lastOffset, 2);
      assert.equal(v.maxTimestamp, T0 + 7);
      assert.equal(v.compression, compression);
      const d = await decodeBatch(bytes);
      assertSameRecords(d.records, [
        { key: 'a', value: '1', headers: [{ key: 'h', value: 'x' }], timestamp: T0 },
        { key: null, value: '2', timestamp: T0 + 7 },
        { key: 'c', value: null, timestamp: T0 + 3 },
      ]);
    });
  }

  it('KafkaJS decodes batches we build (none and gzip)', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      const batch = await buildBatch(SAMPLE.slice(0, 3), { compression, baseOffset: 10 });
      const d = await kafkajs.decode(new kafkajs.Decoder(batch));
      assert.equal(d.records.length, 3);
      assert.deepEqual(
        d.records.map((r: { offset: string; timestamp: string }) => [r.offset, r.timestamp]),
        [
          ['10', String(T0)],
          ['11', String(T0 + 5)],
          ['12', String(T0 - 1000)],
        ],
      );
      assert.deepEqual(d.records[0].key, Buffer.from('key-0'));
      assert.deepEqual(d.records[0].headers, { h1: [Buffer.from('x'), null] });
      assert.equal(d.records[1].key, null);
      assert.equal(d.records[2].value, null);
    }
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`@platformatic/kafka ↔ ours (${compression}, its own wasm snappy/lz4)`, async () => {
      const theirs = createRecordsBatch(
        [
          {
            topic: 't',
            key: Buffer.from('k1'),
            value: Buffer.from('v'.repeat(5000)),
            headers: new Map([[Buffer.from('h'), Buffer.from('x')]]),
            timestamp: BigInt(T0),
          },
          { topic: 't', key: undefined, value: Buffer.from('v2'), timestamp: BigInt(T0 + 5) },
        ],
        { compression },
      );
      const bytes = Buffer.from(theirs.buffer);
      const v = validateRecords(bytes, { maxMessageBytes: 1 << 20 });
      assert.ok(v.ok, v.ok ? '' : v.error.message);
      const d = await decodeBatch(bytes);
      assert.deepEqual(
        d.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.length]),
        [
          [0, T0, 'k1', 5000],
          [1, T0 + 5, null, 2],
        ],
      );
      assert.deepEqual(d.records[0]!.headers, [{ key: 'h', value: Buffer.from('x') }]);

      const ours = await buildBatch(SAMPLE, { compression });
      const back = readRecordsBatch(Reader.from(ours));
      assert.equal(back.records.length, SAMPLE.length);
      back.records.forEach((r, i) => {
        assert.equal(r.offsetDelta, i);
        assert.equal(Number(r.timestampDelta), SAMPLE[i]!.timestamp! - T0);
        assert.deepEqual(r.value ?? null, bytesOf(SAMPLE[i]!.value));
      });
    });
  }

  it('our zstd batches carry standard zstd frames (magic 28 b5 2f fd)', async () => {
    const batch = await buildBatch(SAMPLE, { compression: 'zstd' });
    assert.deepEqual(
      batch.subarray(RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD + 4),
      Buffer.from('28b52ffd', 'hex'),
    );
  });

  it('our lz4 batches are single LZ4 frames with independent blocks (what the Java client requires)', async () => {
    const batch = await buildBatch(SAMPLE, { compression: 'lz4' });
    const section = batch.subarray(RECORD_BATCH_OVERHEAD);
    assert.equal(section.readUInt32LE(0), 0x184d2204);
    const flg = section[4]!;
    assert.equal(flg >> 6, 1, 'version 01');
    assert.equal((flg >> 5) & 1, 1, 'block independence');
    // Kafka's reader takes BD 4..7 (64 KiB .. 4 MiB blocks).
    assert.ok(((section[5]! >> 4) & 7) >= 4);
  });

  it('the header accessors of batch.ts read what the builder wrote', async () => {
    const batch = await buildBatch(SAMPLE, { compression: 'gzip', baseOffset: 5 });
    writeInt64(batch, 6, BatchOffsets.baseOffset);
    assert.equal(lastOffset(batch, 0), 6 + SAMPLE.length - 1);
  });
});
