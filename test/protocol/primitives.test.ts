import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limits } from '../../src/core/limits.js';
import { DecodeError, EncodeError } from '../../src/protocol/errors.js';
import { decodeProduceRequest, encodeProduceRequest } from '../../src/protocol/generated/produce-request.js';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { Reader, type ReaderLimits, ZERO_UUID } from '../../src/protocol/reader.js';
import { WRITER_ZERO_COPY_MIN_BYTES, Writer } from '../../src/protocol/writer.js';

function bytes(...b: number[]): Buffer {
  return Buffer.from(b);
}

function written(f: (w: Writer) => void): Buffer {
  const w = new Writer(16);
  f(w);
  return w.toBuffer();
}

function throwsDecode(f: () => unknown, pattern?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('fixed-size integers', () => {
  it('round-trip edge values', () => {
    const cases: [keyof Writer & keyof Reader, number[]][] = [
      ['int8', [-128, -1, 0, 1, 127]],
      ['uint8', [0, 1, 255]],
      ['int16', [-32768, -1, 0, 32767]],
      ['uint16', [0, 1, 65535]],
      ['int32', [-2147483648, -1, 0, 1, 2147483647]],
      ['uint32', [0, 1, 4294967295]],
      ['float64', [0, -0, 1.5, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, Number.NaN]],
    ];
    for (const [m, values] of cases) {
      for (const v of values) {
        const buf = written((w) => (w[m] as (x: number) => void)(v));
        const r = new Reader(buf);
        assert.ok(Object.is((r[m] as () => number)(), v), `${m} ${v}`);
        assert.equal(r.remaining(), 0);
      }
    }
  });

  it('int64 as number is exact within 2^53 and big-endian two’s complement', () => {
    for (const v of [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      const buf = written((w) => w.int64(v));
      assert.equal(buf.readBigInt64BE(0), BigInt(v));
      assert.equal(new Reader(buf).int64(), v);
    }
    assert.deepEqual(
      written((w) => w.int64(-1)),
      bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    );
  });

  it('int64 beyond 2^53 reads as the nearest double and writes back saturated', () => {
    const max = Buffer.alloc(8);
    max.writeBigInt64BE(2n ** 63n - 1n);
    const v = new Reader(max).int64();
    assert.equal(v, 2 ** 63);
    assert.deepEqual(
      written((w) => w.int64(v)),
      max,
    );
    const min = Buffer.alloc(8);
    min.writeBigInt64BE(-(2n ** 63n));
    assert.deepEqual(
      written((w) => w.int64(new Reader(min).int64())),
      min,
    );
    assert.throws(() => new Writer().int64(1.5), EncodeError);
  });

  it('int64Big is exact over the whole range', () => {
    for (const v of [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n]) {
      assert.equal(new Reader(written((w) => w.int64Big(v))).int64Big(), v);
    }
  });

  it('bool reads any non-zero byte as true', () => {
    const r = new Reader(bytes(0, 1, 2, 0xff));
    assert.deepEqual([r.bool(), r.bool(), r.bool(), r.bool()], [false, true, true, true]);
  });

  it('every fixed-size read past the end is a DecodeError naming the field', () => {
    const reads: ((r: Reader) => unknown)[] = [
      (r) => r.int8('f'),
      (r) => r.uint8('f'),
      (r) => r.bool('f'),
      (r) => r.int16('f'),
      (r) => r.uint16('f'),
      (r) => r.int32('f'),
      (r) => r.uint32('f'),
      (r) => r.int64('f'),
      (r) => r.int64Big('f'),
      (r) => r.float64('f'),
      (r) => r.uuid('f'),
      (r) => r.uuidBytes('f'),
    ];
    for (const read of reads) {
      // The window ends before the buffer does: the Reader must honour `end`, not buf.length.
      const buf = Buffer.alloc(32);
      const r = new Reader(buf, 31, 31);
      throwsDecode(() => read(r), /^f: needs \d+ bytes, 0 remaining$/);
    }
  });
});

describe('varints', () => {
  const uvarintCases: [number, number][] = [
    [0, 1],
    [1, 1],
    [127, 1],
    [128, 2],
    [16383, 2],
    [16384, 3],
    [2 ** 21 - 1, 3],
    [2 ** 21, 4],
    [2 ** 28 - 1, 4],
    [2 ** 28, 5],
    [2 ** 31, 5],
    [2 ** 32 - 1, 5],
  ];

  it('unsigned varint boundaries: sizes and round trip', () => {
    for (const [v, size] of uvarintCases) {
      const buf = written((w) => w.uvarint(v));
      assert.equal(buf.length, size, `size of ${v}`);
      const r = new Reader(buf);
      assert.equal(r.uvarint(), v);
      assert.equal(r.remaining(), 0);
    }
    assert.deepEqual(
      written((w) => w.uvarint(300)),
      bytes(0xac, 0x02),
    );
    assert.throws(() => new Writer().uvarint(-1), EncodeError);
    assert.throws(() => new Writer().uvarint(2 ** 32), EncodeError);
  });

  it('zigzag varint', () => {
    const expect: [number, number[]][] = [
      [0, [0]],
      [-1, [1]],
      [1, [2]],
      [-2, [3]],
      [63, [0x7e]],
      [-64, [0x7f]],
      [64, [0x80, 0x01]],
    ];
    for (const [v, b] of expect)
      assert.deepEqual(
        written((w) => w.varint(v)),
        Buffer.from(b),
        `varint ${v}`,
      );
    for (const v of [-(2 ** 31), 2 ** 31 - 1, -300, 300, 0]) {
      assert.equal(new Reader(written((w) => w.varint(v))).varint(), v);
    }
    assert.equal(written((w) => w.varint(-(2 ** 31))).length, 5);
  });

  it('zigzag varlong as number and bigint', () => {
    for (const v of [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 1_700_000_000_000]) {
      const buf = written((w) => w.varlong(v));
      assert.equal(new Reader(buf).varlong(), v);
      assert.equal(new Reader(buf).varlongBig(), BigInt(v));
      assert.deepEqual(
        written((w) => w.varlongBig(BigInt(v))),
        buf,
      );
    }
    for (const v of [-(2n ** 63n), 2n ** 63n - 1n]) {
      const buf = written((w) => w.varlongBig(v));
      assert.equal(buf.length, 10);
      assert.equal(new Reader(buf).varlongBig(), v);
    }
    assert.throws(() => new Writer().varlong(2 ** 53), EncodeError);
  });

  it('over-long and truncated varints are DecodeErrors', () => {
    throwsDecode(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0x10)).uvarint('n'), /^n: varint longer/);
    throwsDecode(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).uvarint('n'));
    throwsDecode(() => new Reader(bytes(0x80, 0x80)).uvarint('n'), /^n: truncated varint$/);
    throwsDecode(() => new Reader(bytes()).uvarint('n'));
    throwsDecode(() => new Reader(bytes(0x80)).varint('n'));
    const eleven = Buffer.alloc(11, 0xff);
    eleven[10] = 0;
    throwsDecode(() => new Reader(eleven).varlong('n'), /varlong longer/);
    throwsDecode(() => new Reader(eleven).varlongBig('n'), /varlong longer/);
    throwsDecode(() => new Reader(Buffer.alloc(3, 0x80)).varlong('n'), /truncated/);
  });
});

describe('uuid', () => {
  it('is Kafka’s base64url text; all-zero is ZERO_UUID', () => {
    assert.equal(new Reader(Buffer.alloc(16)).uuid(), ZERO_UUID);
    const raw = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const text = new Reader(raw).uuid();
    assert.equal(text.length, 22);
    assert.equal(text, raw.toString('base64url'));
    assert.deepEqual(
      written((w) => w.uuid(text)),
      raw,
    );
    assert.deepEqual(
      written((w) => w.uuidBytes(raw)),
      raw,
    );
  });

  it('rejects malformed text on encode', () => {
    for (const bad of ['', 'AAAA', `${ZERO_UUID}A`, 'AAAAAAAAAAAAAAAAAAAAA!', 'AAAAAAAAAAAAAAAAAAAAAB']) {
      assert.throws(() => new Writer().uuid(bad), EncodeError, bad);
    }
    assert.throws(() => new Writer().uuidBytes(Buffer.alloc(15)), EncodeError);
  });
});

describe('strings', () => {
  it('classic and compact forms, nullable and not', () => {
    for (const s of ['', 'a', 'héllo wörld', '🦀 kafka', 'x'.repeat(300)]) {
      const n = Buffer.byteLength(s);
      let buf = written((w) => w.string(s));
      assert.equal(buf.readInt16BE(0), n);
      assert.equal(new Reader(buf).string(), s);
      assert.equal(new Reader(buf).nullableString(), s);
      buf = written((w) => w.compactString(s));
      assert.equal(new Reader(buf).uvarint(), n + 1);
      assert.equal(new Reader(buf).compactString(), s);
      assert.equal(new Reader(buf).compactNullableString(), s);
    }
    assert.deepEqual(
      written((w) => w.nullableString(null)),
      bytes(0xff, 0xff),
    );
    assert.deepEqual(
      written((w) => w.compactNullableString(null)),
      bytes(0),
    );
    assert.equal(new Reader(bytes(0xff, 0xff)).nullableString(), null);
    assert.equal(new Reader(bytes(0)).compactNullableString(), null);
  });

  it('null in a non-nullable string is a DecodeError', () => {
    throwsDecode(() => new Reader(bytes(0xff, 0xff)).string('s'), /^s: null/);
    throwsDecode(() => new Reader(bytes(0)).compactString('s'), /^s: null/);
  });

  it('lengths are checked against remaining bytes and the limit before reading', () => {
    throwsDecode(() => new Reader(bytes(0, 5, 0x61)).string('s'), /^s: string length 5 exceeds remaining 1$/);
    throwsDecode(() => new Reader(bytes(6, 0x61)).compactString('s'), /exceeds remaining 1/);
    const small: ReaderLimits = { ...limits, decodeStringBytesMax: 3 };
    const buf = written((w) => w.string('abcd'));
    throwsDecode(
      () => new Reader(buf, 0, buf.length, small).string('s'),
      /^s: string length 4 exceeds limit 3$/,
    );
    assert.equal(
      new Reader(
        written((w) => w.string('abc')),
        0,
        5,
        small,
      ).string(),
      'abc',
    );
  });

  it('encoding a string too long for an int16 length is an EncodeError', () => {
    assert.throws(() => new Writer().string('x'.repeat(32768)), EncodeError);
    assert.doesNotThrow(() => new Writer().compactString('x'.repeat(32768)));
  });
});

describe('bytes and records', () => {
  it('decode as subarrays of the input, never copies', () => {
    const buf = written((w) => {
      w.bytes(Buffer.from('abc'));
      w.compactNullableBytes(Buffer.from('de'));
      w.nullableBytes(null);
      w.compactNullableBytes(null);
    });
    const r = new Reader(buf);
    const a = r.bytes();
    const b = r.compactNullableBytes();
    assert.equal(a.toString(), 'abc');
    assert.equal(b?.toString(), 'de');
    assert.equal(r.nullableBytes(), null);
    assert.equal(r.compactNullableBytes(), null);
    assert.equal(a.buffer, buf.buffer);
    assert.equal(a.byteOffset, buf.byteOffset + 4);
    buf[4] = 0x7a;
    assert.equal(a.toString(), 'zbc');
  });

  it('bounds: null where not allowed, length beyond remaining or the limit', () => {
    throwsDecode(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff)).bytes('b'), /^b: null/);
    throwsDecode(() => new Reader(bytes(0)).compactBytes('b'), /^b: null/);
    throwsDecode(
      () => new Reader(bytes(0, 0, 0x01, 0, 1, 2)).bytes('b'),
      /^b: bytes length 256 exceeds remaining 2$/,
    );
    const small: ReaderLimits = { ...limits, decodeBytesMax: 2 };
    const buf = written((w) => w.compactBytes(Buffer.from('abc')));
    throwsDecode(() => new Reader(buf, 0, buf.length, small).compactBytes('b'), /exceeds limit 2/);
    throwsDecode(() => new Reader(bytes(1, 2)).raw(3, 'b'), /exceeds remaining 2/);
  });

  it('records accept one buffer, several, or null, classic and compact', () => {
    const big = Buffer.alloc(5000, 7);
    const small = Buffer.from('tail');
    for (const compact of [false, true]) {
      const w = new Writer();
      w.records([big, small], compact);
      w.records(big, compact);
      w.records(null, compact);
      const buf = w.toBuffer();
      const r = new Reader(buf);
      const read = () => (compact ? r.compactNullableBytes() : r.nullableBytes());
      assert.deepEqual(read(), Buffer.concat([big, small]));
      assert.deepEqual(read(), big);
      assert.equal(read(), null);
      assert.equal(r.remaining(), 0);
    }
  });
});

describe('arrays and tagged fields', () => {
  it('array counts: null, limit, and minimum element size against remaining', () => {
    assert.equal(new Reader(bytes(0xff, 0xff, 0xff, 0xff)).arrayLength(4), -1);
    assert.equal(new Reader(bytes(0)).compactArrayLength(1), -1);
    assert.equal(new Reader(bytes(0, 0, 0, 2, 1, 2)).arrayLength(1), 2);
    throwsDecode(
      () => new Reader(bytes(0, 0, 0, 2, 1, 2)).arrayLength(4, 'a'),
      /^a: array count 2 needs at least 8 bytes, 2 remaining$/,
    );
    throwsDecode(
      () => new Reader(bytes(0x7f, 0xff, 0xff, 0xff)).arrayLength(0, 'a'),
      /exceeds limit 1000000/,
    );
    const small: ReaderLimits = { ...limits, decodeArrayCountMax: 2 };
    throwsDecode(
      () => new Reader(bytes(4, 1, 1, 1), 0, 4, small).compactArrayLength(1, 'a'),
      /exceeds limit 2/,
    );
    const w = new Writer();
    w.arrayLength(null, false);
    w.arrayLength(null, true);
    w.arrayLength(3, true);
    assert.deepEqual(w.toBuffer(), bytes(0xff, 0xff, 0xff, 0xff, 0, 4));
  });

  it('unknown tagged fields round trip as subarrays', () => {
    const fields = [
      { tag: 0, data: Buffer.from('a') },
      { tag: 7, data: Buffer.alloc(0) },
      { tag: 300, data: Buffer.alloc(2000, 3) },
    ];
    const buf = written((w) => w.unknownTaggedFields(fields));
    const back = new Reader(buf).unknownTaggedFields();
    assert.deepEqual(back, fields);
    assert.equal(new Reader(bytes(0)).unknownTaggedFields(), undefined);
    assert.deepEqual(
      written((w) => w.unknownTaggedFields(undefined)),
      bytes(0),
    );
  });

  it('tagged-field sections: count and sizes are bounded', () => {
    throwsDecode(
      () => new Reader(bytes(3, 0, 0)).unknownTaggedFields(),
      /tagged field count 3 exceeds remaining 2/,
    );
    throwsDecode(
      () => new Reader(bytes(1, 0, 5, 1)).unknownTaggedFields(),
      /tag 0 size 5 exceeds remaining 1/,
    );
    const big = written((w) => w.uvarint(limits.decodeTaggedFieldCountMax + 1));
    throwsDecode(
      () => new Reader(Buffer.concat([big, Buffer.alloc(200_000)])).taggedFieldCount(),
      /exceeds limit/,
    );
  });
});

describe('Writer', () => {
  it('appends large payloads by reference and copies small ones', () => {
    const big = Buffer.alloc(WRITER_ZERO_COPY_MIN_BYTES, 1);
    const small = Buffer.alloc(10, 2);
    const w = new Writer(8);
    w.int32(1);
    w.raw(big);
    w.raw(small);
    w.int8(3);
    const chunks = w.finish();
    assert.ok(
      chunks.some((c) => c === big),
      'the large payload is one of the chunks, by identity',
    );
    assert.ok(!chunks.some((c) => c === small));
    assert.equal(w.length, 4 + big.length + 10 + 1);
    assert.deepEqual(w.toBuffer(), Buffer.concat([bytes(0, 0, 0, 1), big, small, bytes(3)]));
  });

  it('grows across many small writes', () => {
    const w = new Writer(4);
    for (let i = 0; i < 10_000; i++) w.int32(i);
    const buf = w.toBuffer();
    assert.equal(buf.length, 40_000);
    for (let i = 0; i < 10_000; i++) assert.equal(buf.readInt32BE(i * 4), i);
  });

  it('reserves and patches an int32 slot (a frame size prefix)', () => {
    const w = new Writer(4);
    const slot = w.reserveInt32();
    w.raw(Buffer.alloc(3000, 9));
    w.string('after');
    w.patchInt32(slot, w.length - 4);
    const buf = w.toBuffer();
    assert.equal(buf.readInt32BE(0), buf.length - 4);
  });
});

describe('generated codecs: errors carry the message and field path', () => {
  it('a truncated produce request names the exact field', () => {
    const w = new Writer();
    encodeProduceRequest(
      w,
      {
        acks: 1,
        timeoutMs: 100,
        topicData: [
          {
            name: 't',
            partitionData: [
              { index: 0, records: Buffer.alloc(4) },
              { index: 1, records: null },
              { index: 2, records: Buffer.alloc(99_999) },
            ],
          },
        ],
      },
      8,
    );
    const buf = w.toBuffer();
    const cut = buf.subarray(0, buf.length - 99_999 + 12);
    throwsDecode(
      () => decodeProduceRequest(new Reader(cut), 8),
      /^ProduceRequest\.topicData\[0\]\.partitionData\[2\]\.records: bytes length 99999 exceeds remaining 12$/,
    );
    throwsDecode(() => decodeProduceRequest(new Reader(buf), 12), /^ProduceRequest: unsupported version 12$/);
  });

  it('non-ignorable fields a version lacks must be default; ignorable ones are dropped', () => {
    const value = { transactionalId: 'tx', acks: 1, timeoutMs: 1, topicData: [] };
    assert.throws(() => encodeProduceRequest(new Writer(), value, 2), EncodeError);
    assert.doesNotThrow(() => encodeProduceRequest(new Writer(), { ...value, transactionalId: null }, 2));
    // RequestHeader.clientId is ignorable and absent in v0: silently dropped.
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: 7, requestApiVersion: 0, correlationId: 5, clientId: 'c' }, 0);
    assert.deepEqual(w.toBuffer(), bytes(0, 7, 0, 0, 0, 0, 0, 5));
  });

  it('unknown tagged fields at a non-flexible version are an EncodeError', () => {
    const value = {
      acks: 1,
      timeoutMs: 1,
      topicData: [],
      _unknownTaggedFields: [{ tag: 9, data: bytes(1) }],
    };
    assert.throws(() => encodeProduceRequest(new Writer(), value, 8), EncodeError);
    assert.doesNotThrow(() => encodeProduceRequest(new Writer(), value, 9));
  });
});
