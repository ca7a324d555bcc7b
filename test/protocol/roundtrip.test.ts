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
import {
  decodeApiVersionsResponse,
  encodeApiVersionsResponse,
} from '../../src/protocol/generated/api-versions-response.js';
import { encodeFetchRequest } from '../../src/protocol/generated/fetch-request.js';
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

describe('tagged fields, byte for byte (worked out by hand from protocol.html)', () => {
  it('ApiVersionsResponse v3: known tags in order, defaults left out, unknown tags merged by tag', () => {
    const w = new Writer();
    encodeApiVersionsResponse(
      w,
      {
        errorCode: 0,
        apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
        throttleTimeMs: 0,
        finalizedFeaturesEpoch: 5,
        zkMigrationReady: true,
        supportedFeatures: [],
        _unknownTaggedFields: [{ tag: 2 + 5, data: Buffer.from([0xaa]) }],
      },
      3,
    );
    const expected = Buffer.from(
      [
        '0000', // errorCode
        '02', // apiKeys: compact array of 1
        '00120000000400', // apiKey 18, min 0, max 4, no tags
        '00000000', // throttleTimeMs
        '03', // three tagged fields (supportedFeatures is empty: default, left out)
        '01080000000000000005', // tag 1: finalizedFeaturesEpoch = 5
        '030101', // tag 3: zkMigrationReady = true
        '0701aa', // tag 7: unknown, kept
      ].join(''),
      'hex',
    );
    const bytes = w.toBuffer();
    assert.deepEqual(bytes, expected);
    const back = decodeApiVersionsResponse(new Reader(bytes), 3);
    assert.equal(back.finalizedFeaturesEpoch, 5);
    assert.equal(back.zkMigrationReady, true);
    assert.deepEqual(back.supportedFeatures, []);
    assert.deepEqual(back._unknownTaggedFields, [{ tag: 7, data: Buffer.from([0xaa]) }]);
  });

  it('FetchRequest v15: a tagged struct (replicaState) carries its own tagged-field section', () => {
    const w = new Writer();
    encodeFetchRequest(
      w,
      {
        clusterId: null,
        replicaState: { replicaId: 3, replicaEpoch: 9 },
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 1000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [],
        forgottenTopicsData: [],
        rackId: '',
      },
      15,
    );
    const expected = Buffer.from(
      [
        '000001f4', // maxWaitMs 500
        '00000001', // minBytes
        '000003e8', // maxBytes 1000
        '00', // isolationLevel
        '00000000', // sessionId
        'ffffffff', // sessionEpoch -1
        '01', // topics: empty compact array
        '01', // forgottenTopicsData: empty
        '01', // rackId: ""
        '01', // one tagged field (clusterId null = default, left out)
        '010d', // tag 1, 13 bytes
        '00000003', // replicaId 3
        '0000000000000009', // replicaEpoch 9
        '00', // the struct's own (empty) tagged fields
      ].join(''),
      'hex',
    );
    assert.deepEqual(w.toBuffer(), expected);
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
