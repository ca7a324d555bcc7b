import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ApiKey,
  apiByKey,
  apiList,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/generated/apis.js';
import { ErrorCode, errorCodeName } from '../../src/protocol/generated/error-codes.js';
import { decodeFetchResponse, encodeFetchResponse } from '../../src/protocol/generated/fetch-response.js';
import { decodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { type MessageSchema, messageSchemas } from '../../src/protocol/generated/schemas.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { decodeStruct, encodeStruct } from './schema-codec.js';
import { structArb, structDefault } from './schema-values.js';

function encode(m: MessageSchema, value: unknown, version: number): Buffer {
  const w = new Writer(64);
  m.encode(w, value, version);
  return w.toBuffer();
}

function decodeAll(m: MessageSchema, buf: Buffer, version: number): unknown {
  const r = new Reader(buf);
  const v = m.decode(r, version);
  assert.equal(r.remaining(), 0, `${m.name} v${version}: ${r.remaining()} bytes left over`);
  return v;
}

function versions(m: MessageSchema): number[] {
  const out: number[] = [];
  for (let v = m.validVersions[0]; v <= m.validVersions[1]; v++) out.push(v);
  return out;
}

describe('every message round-trips at every valid version', () => {
  it('covers all 186 definitions', () => {
    assert.equal(messageSchemas.length, 186);
    const kinds = new Map<string, number>();
    for (const m of messageSchemas) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(kinds), { request: 88, response: 88, header: 2, data: 8 });
  });

  it('default fixtures: decode(encode(x)) equals x and re-encodes byte-identically', () => {
    let n = 0;
    for (const m of messageSchemas) {
      for (const v of versions(m)) {
        const value = m.createDefault();
        assert.deepEqual(
          value,
          structDefault(m, m.root),
          `${m.name}: createDefault matches the schema defaults`,
        );
        const bytes = encode(m, value, v);
        const back = decodeAll(m, bytes, v);
        assert.deepEqual(back, value, `${m.name} v${v}`);
        assert.deepEqual(encode(m, back, v), bytes, `${m.name} v${v} re-encode`);
        n++;
      }
    }
    assert.ok(n > 600, `${n} message versions`);
  });

  for (const m of messageSchemas) {
    it(`property: ${m.name}`, () => {
      for (const v of versions(m)) {
        fc.assert(
          fc.property(structArb(m, m.root, v), (value) => {
            const bytes = encode(m, value, v);
            const back = decodeAll(m, bytes, v);
            assert.deepStrictEqual(back, value);
            assert.deepEqual(encode(m, back, v), bytes);
          }),
          { numRuns: 25, seed: 0x5eed + v, endOnFailure: true },
        );
      }
    });
  }
});

describe('generated codecs agree with the table-driven interpreter (test/protocol/schema-codec.ts)', () => {
  it('same bytes and same values for random values of every message and version', () => {
    for (const m of messageSchemas) {
      for (const v of versions(m)) {
        fc.assert(
          fc.property(structArb(m, m.root, v), (value) => {
            const generated = encode(m, value, v);
            const w = new Writer(64);
            encodeStruct(m, m.root, value, w, v);
            assert.deepEqual(w.toBuffer(), generated, `${m.name} v${v} bytes`);
            const r = new Reader(generated);
            assert.deepStrictEqual(decodeStruct(m, m.root, r, v), decodeAll(m, generated, v));
            assert.equal(r.remaining(), 0);
          }),
          { numRuns: 6, seed: 0xabc + v, endOnFailure: true },
        );
      }
    }
  });
});

describe('records', () => {
  it('a fetch response carries several segment slices without copying and decodes to one slice', () => {
    const a = Buffer.alloc(4096, 1);
    const b = Buffer.alloc(2048, 2);
    for (const version of [4, 11, 12, 16, 17]) {
      const w = new Writer();
      encodeFetchResponse(
        w,
        {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: [
            {
              topic: version < 13 ? 'golden' : '',
              topicId: version >= 13 ? 'AAAAAAAAAAAAAAAAAAAAAQ' : undefined,
              partitions: [
                { partitionIndex: 0, errorCode: 0, highWatermark: 10, lastStableOffset: 10, records: [a, b] },
              ],
            },
          ],
        },
        version,
      );
      const chunks = w.finish();
      assert.ok(chunks.includes(a) && chunks.includes(b), 'slices are chunks of the output by identity');
      const buf = w.toBuffer();
      const back = decodeFetchResponse(new Reader(buf), version);
      const rec = back.responses[0]!.partitions[0]!.records;
      assert.deepEqual(rec, Buffer.concat([a, b]));
      assert.equal(rec?.buffer, buf.buffer, 'decoded records are a subarray of the input');
    }
  });
});

describe('apis table', () => {
  it('has one entry per api key with request and response codecs', () => {
    assert.equal(apiList.length, 88);
    for (const a of apiList) {
      assert.equal(apiByKey(a.apiKey), a);
      assert.equal(a.requestHeaderVersions.length, a.maxVersion + 1);
    }
    assert.equal(ApiKey.Produce, 0);
    assert.equal(ApiKey.ApiVersions, 18);
    assert.equal(apiByKey(ApiKey.Fetch)?.name, 'Fetch');
    assert.equal(apiByKey(9999), undefined);
  });

  it('header versions follow flexible versions, with the ApiVersions and ControlledShutdown exceptions', () => {
    const produce = apiByKey(ApiKey.Produce)!;
    assert.equal(produce.flexibleMinVersion, 9);
    assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1);
    assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
    assert.equal(responseHeaderVersion(ApiKey.Produce, 8), 0);
    assert.equal(responseHeaderVersion(ApiKey.Produce, 9), 1);
    for (let v = 0; v <= apiByKey(ApiKey.ApiVersions)!.maxVersion; v++) {
      assert.equal(responseHeaderVersion(ApiKey.ApiVersions, v), 0);
    }
    assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
    assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
    assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
    assert.equal(requestHeaderVersion(ApiKey.Produce, 99), -1);
  });

  it('request header v2 keeps a classic (non-compact) client id, then tagged fields', () => {
    const buf = Buffer.from([0, 18, 0, 3, 0, 0, 0, 42, 0, 3, 0x61, 0x62, 0x63, 0]);
    const r = new Reader(buf);
    assert.deepEqual(decodeRequestHeader(r, 2), {
      requestApiKey: 18,
      requestApiVersion: 3,
      correlationId: 42,
      clientId: 'abc',
      _unknownTaggedFields: undefined,
    });
    assert.equal(r.remaining(), 0);
  });
});

describe('error codes', () => {
  it('maps names to codes and back', () => {
    assert.equal(ErrorCode.NONE, 0);
    assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
    assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
    assert.equal(errorCodeName(3), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(errorCodeName(12345), undefined);
    assert.equal(Object.keys(ErrorCode).length, 130);
  });
});
