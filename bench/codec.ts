/**
 * Codec throughput: decode and encode of the hot-path messages with the generated codecs.
 *
 *   npm run bench:codec
 *
 * - Produce request (v9, flexible) carrying one batch of 1,000 records of 100 B.
 * - Fetch response (latest version) of 1 MiB of records: 4 partitions × 2 segment slices of 128 KiB.
 * - Metadata response (v12) for 20 topics × 8 partitions: a small, field-heavy message.
 * - The same Produce and Metadata messages through the table-driven interpreter of
 *   test/protocol/schema-codec.ts, to compare generated straight-line code with an interpreter.
 * - int64 as number vs bigint, the decision recorded in docs/protocol.md.
 *
 * Prints figures only; never asserts on time.
 */
import { ApiKey, apiByKey } from '../src/protocol/generated/apis.js';
import {
  decodeFetchResponse,
  encodeFetchResponse,
  type FetchResponseInput,
} from '../src/protocol/generated/fetch-response.js';
import {
  decodeMetadataResponse,
  encodeMetadataResponse,
  type MetadataResponseInput,
} from '../src/protocol/generated/metadata-response.js';
import {
  decodeProduceRequest,
  encodeProduceRequest,
  type ProduceRequestInput,
} from '../src/protocol/generated/produce-request.js';
import { messageSchemas } from '../src/protocol/generated/schemas.js';
import { Reader } from '../src/protocol/reader.js';
import { Writer } from '../src/protocol/writer.js';
import { decodeStruct, encodeStruct } from '../test/protocol/schema-codec.js';

const RECORDS = 1000;
const VALUE_BYTES = 100;

/** One magic-2 batch of 1,000 × 100 B records: the records builder when present, else a lookalike. */
async function produceBatch(): Promise<{ batch: Buffer; source: string }> {
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  const records = Array.from({ length: RECORDS }, (_, i) => ({ key: `key-${i}`, value }));
  try {
    // Resolved at run time so this file builds whether or not the records builder exists yet.
    const spec = '../src/protocol/records/builder.js';
    const mod = (await import(spec)) as { buildBatchSync?: (r: typeof records) => Buffer };
    if (typeof mod.buildBatchSync === 'function') {
      return { batch: mod.buildBatchSync(records), source: 'records/builder.ts' };
    }
  } catch {
    // fall through to the lookalike
  }
  // 61-byte batch header, then records of ~(1 + 1 + 1 + 1 + 1 + 8 + 1 + 100 + 1) bytes each.
  const recordBytes = 120;
  const batch = Buffer.alloc(61 + RECORDS * recordBytes, 0x61);
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12);
  batch.writeInt8(2, 16);
  batch.writeInt32BE(RECORDS - 1, 23);
  batch.writeInt32BE(RECORDS, 57);
  return { batch, source: 'lookalike blob' };
}

interface Result {
  name: string;
  opsPerSec: number;
  mbPerSec: number;
  bytes: number;
}

function measure(name: string, bytes: number, fn: () => void, minMs = 800): Result {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 50; i++) fn();
    ops += 50;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  const secs = elapsed / 1e9;
  return { name, opsPerSec: ops / secs, mbPerSec: (ops * bytes) / secs / 1_048_576, bytes };
}

function print(r: Result): void {
  const ops =
    r.opsPerSec >= 1e6
      ? `${(r.opsPerSec / 1e6).toFixed(2)} M`
      : `${Math.round(r.opsPerSec).toLocaleString('en-US')}`;
  console.log(
    `${r.name.padEnd(48)} ${String(r.bytes).padStart(9)} B  ${ops.padStart(10)} msg/s  ${r.mbPerSec.toFixed(0).padStart(8)} MB/s`,
  );
}

let sink = 0;

async function main(): Promise<void> {
  const { batch, source } = await produceBatch();
  console.log(`codec bench (node ${process.version}); produce batch: ${batch.length} B from ${source}`);

  // ---- Produce request --------------------------------------------------------------------------
  const produceVersion = 9;
  const produce: ProduceRequestInput = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records: batch }] }],
  };
  let w = new Writer();
  encodeProduceRequest(w, produce, produceVersion);
  const produceBytes = w.toBuffer();
  print(
    measure(`Produce v${produceVersion} request decode`, produceBytes.length, () => {
      const req = decodeProduceRequest(new Reader(produceBytes), produceVersion);
      sink += req.topicData.length;
    }),
  );
  print(
    measure(`Produce v${produceVersion} request encode (chunks)`, produceBytes.length, () => {
      const wr = new Writer(256);
      encodeProduceRequest(wr, produce, produceVersion);
      sink += wr.finish().length;
    }),
  );
  print(
    measure(`Produce v${produceVersion} request encode + toBuffer`, produceBytes.length, () => {
      const wr = new Writer(256);
      encodeProduceRequest(wr, produce, produceVersion);
      sink += wr.toBuffer().length;
    }),
  );

  // ---- Fetch response ---------------------------------------------------------------------------
  const fetchVersion = apiByKey(ApiKey.Fetch)!.maxVersion;
  const slice = 128 * 1024;
  const segment = Buffer.alloc(8 * slice, 0x62);
  const partitions = Array.from({ length: 4 }, (_, i) => ({
    partitionIndex: i,
    errorCode: 0,
    highWatermark: 1_000_000,
    lastStableOffset: 1_000_000,
    logStartOffset: 0,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: [
      segment.subarray(2 * i * slice, (2 * i + 1) * slice),
      segment.subarray((2 * i + 1) * slice, (2 * i + 2) * slice),
    ],
  }));
  const fetch: FetchResponseInput = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: 'bench-topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions }],
  };
  w = new Writer();
  encodeFetchResponse(w, fetch, fetchVersion);
  const fetchBytes = w.toBuffer();
  print(
    measure(`Fetch v${fetchVersion} response encode (chunks, 1 MiB)`, fetchBytes.length, () => {
      const wr = new Writer(256);
      encodeFetchResponse(wr, fetch, fetchVersion);
      sink += wr.finish().length;
    }),
  );
  print(
    measure(`Fetch v${fetchVersion} response decode (1 MiB)`, fetchBytes.length, () => {
      const res = decodeFetchResponse(new Reader(fetchBytes), fetchVersion);
      sink += res.responses.length;
    }),
  );

  // ---- Metadata response ------------------------------------------------------------------------
  const metadataVersion = 12;
  const metadata: MetadataResponseInput = {
    throttleTimeMs: 0,
    brokers: [1, 2, 3].map((id) => ({ nodeId: id, host: `broker-${id}.local`, port: 9092, rack: null })),
    clusterId: 'bench-cluster',
    controllerId: 1,
    topics: Array.from({ length: 20 }, (_, t) => ({
      errorCode: 0,
      name: `topic-${t}`,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      isInternal: false,
      partitions: Array.from({ length: 8 }, (_, p) => ({
        errorCode: 0,
        partitionIndex: p,
        leaderId: 1 + (p % 3),
        leaderEpoch: 5,
        replicaNodes: [1, 2, 3],
        isrNodes: [1, 2, 3],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: -2147483648,
    })),
  };
  w = new Writer();
  encodeMetadataResponse(w, metadata, metadataVersion);
  const metadataBytes = w.toBuffer();
  print(
    measure(`Metadata v${metadataVersion} response encode (20×8)`, metadataBytes.length, () => {
      const wr = new Writer(4096);
      encodeMetadataResponse(wr, metadata, metadataVersion);
      sink += wr.finish().length;
    }),
  );
  print(
    measure(`Metadata v${metadataVersion} response decode (20×8)`, metadataBytes.length, () => {
      const res = decodeMetadataResponse(new Reader(metadataBytes), metadataVersion);
      sink += res.topics.length;
    }),
  );

  // ---- table-driven interpreter, same messages ---------------------------------------------------
  const produceSchema = messageSchemas.find((m) => m.name === 'ProduceRequest')!;
  const metadataSchema = messageSchemas.find((m) => m.name === 'MetadataResponse')!;
  const metadataValue = decodeMetadataResponse(
    new Reader(metadataBytes),
    metadataVersion,
  ) as unknown as Record<string, unknown>;
  print(
    measure(`interpreted: Produce v${produceVersion} request decode`, produceBytes.length, () => {
      sink += Object.keys(
        decodeStruct(produceSchema, 'ProduceRequest', new Reader(produceBytes), produceVersion),
      ).length;
    }),
  );
  print(
    measure(`interpreted: Metadata v${metadataVersion} response encode`, metadataBytes.length, () => {
      const wr = new Writer(4096);
      encodeStruct(metadataSchema, 'MetadataResponse', metadataValue, wr, metadataVersion);
      sink += wr.finish().length;
    }),
  );
  print(
    measure(`interpreted: Metadata v${metadataVersion} response decode`, metadataBytes.length, () => {
      sink += Object.keys(
        decodeStruct(metadataSchema, 'MetadataResponse', new Reader(metadataBytes), metadataVersion),
      ).length;
    }),
  );

  // ---- int64: number vs bigint ------------------------------------------------------------------
  const longs = Buffer.alloc(8 * 4096);
  for (let i = 0; i < 4096; i++) longs.writeBigInt64BE(BigInt(1_700_000_000_000 + i), i * 8);
  print(
    measure('int64 read as number (4096 values)', longs.length, () => {
      const r = new Reader(longs);
      let s = 0;
      for (let i = 0; i < 4096; i++) s += r.int64();
      sink += s;
    }),
  );
  print(
    measure('int64 read as bigint (4096 values)', longs.length, () => {
      const r = new Reader(longs);
      let s = 0n;
      for (let i = 0; i < 4096; i++) s += r.int64Big();
      sink += Number(s & 1n);
    }),
  );
  if (sink === 42) console.log('');
}

await main();
