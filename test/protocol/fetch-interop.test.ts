/**
 * Fetch responses with real record batches, encoded by the generated encoder (records passed as
 * several slices, as a segment read would), read back by both clients' own Fetch response parsers:
 * KafkaJS at v11 (classic) and @platformatic/kafka at v12 and v17 (flexible, topic ids).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeFetchResponse, type FetchResponseInput } from '../../src/protocol/generated/fetch-response.js';
import { buildBatchSync } from '../../src/protocol/records/builder.js';
import { Writer } from '../../src/protocol/writer.js';

const require = createRequire(import.meta.url);
const kafkajsRequests = join(dirname(require.resolve('kafkajs')), 'src', 'protocol', 'requests');
const platformaticDist = dirname(require.resolve('@platformatic/kafka'));

const TOPIC_ID = 'R29sZGVuVG9waWNJZDAwMA';
const TOPIC_ID_DASHED = [...Buffer.from(TOPIC_ID, 'base64url').toString('hex')]
  .map((c, i) => (i === 8 || i === 12 || i === 16 || i === 20 ? `-${c}` : c))
  .join('');

/** Two batches (offsets 10-11 and 12), as two slices of one "segment". */
function segmentSlices(): Buffer[] {
  const first = buildBatchSync(
    [
      { key: 'k0', value: 'v0' },
      { key: 'k1', value: 'v1' },
    ],
    { baseOffset: 10, baseTimestamp: 1_700_000_000_000 },
  );
  const second = buildBatchSync([{ key: 'k2', value: 'v2' }], {
    baseOffset: 12,
    baseTimestamp: 1_700_000_000_001,
  });
  const segment = Buffer.concat([first, second]);
  return [segment.subarray(0, first.length), segment.subarray(first.length)];
}

function response(version: number): FetchResponseInput {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: version < 13 ? 'golden' : '',
        topicId: version >= 13 ? TOPIC_ID : undefined,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 13,
            lastStableOffset: 13,
            logStartOffset: 0,
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: segmentSlices(),
          },
        ],
      },
    ],
  };
}

function encode(version: number): Buffer {
  const w = new Writer();
  encodeFetchResponse(w, response(version), version);
  return w.toBuffer();
}

describe('Fetch responses with record batches, read by real clients', () => {
  it('KafkaJS reads a v11 response: topic, offsets, keys and values', async () => {
    const { decode } = require(join(kafkajsRequests, 'fetch', 'v11', 'response.js')) as {
      decode(b: Buffer): Promise<{
        responses: {
          topicName: string;
          partitions: {
            partition: number;
            highWatermark: string;
            messages: { offset: string; key: Buffer; value: Buffer }[];
          }[];
        }[];
      }>;
    };
    const res = await decode(encode(11));
    assert.equal(res.responses[0]!.topicName, 'golden');
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.partition, 0);
    assert.equal(p.highWatermark, '13');
    assert.deepEqual(
      p.messages.map((m) => [m.offset, m.key.toString(), m.value.toString()]),
      [
        ['10', 'k0', 'v0'],
        ['11', 'k1', 'v1'],
        ['12', 'k2', 'v2'],
      ],
    );
  });

  for (const version of [12, 17]) {
    it(`@platformatic/kafka reads a v${version} response`, async () => {
      const { parseResponse } = (await import(
        join(platformaticDist, 'apis', 'consumer', `fetch-v${version}.js`)
      )) as {
        parseResponse(c: number, k: number, v: number, r: unknown): unknown;
      };
      const { Reader } = (await import(join(platformaticDist, 'protocol', 'reader.js'))) as {
        Reader: { from(b: Buffer): { position: number } };
      };
      const buf = encode(version);
      const r = Reader.from(buf);
      const res = parseResponse(1, 1, version, r) as {
        responses: {
          topic?: string;
          topicId?: string;
          partitions: {
            records?: {
              firstOffset: bigint;
              records: { offsetDelta: number; key: Buffer; value: Buffer }[];
            }[];
          }[];
        }[];
      };
      const t = res.responses[0]!;
      // At v12 that client keeps the topic name in a property it calls topicId.
      if (version < 13) assert.equal(t.topic ?? t.topicId, 'golden');
      else assert.equal(t.topicId, TOPIC_ID_DASHED);
      const batches = t.partitions[0]!.records!;
      assert.equal(batches.length, 2);
      const seen = batches.flatMap((b) =>
        b.records.map((rec) => [
          Number(b.firstOffset) + rec.offsetDelta,
          rec.key.toString(),
          rec.value.toString(),
        ]),
      );
      assert.deepEqual(seen, [
        [10, 'k0', 'v0'],
        [11, 'k1', 'v1'],
        [12, 'k2', 'v2'],
      ]);
    });
  }
});
