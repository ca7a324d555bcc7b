/**
 * Golden tests against real clients: a tiny loopback capture server answers ApiVersions,
 * Metadata, InitProducerId and Produce with the generated encoders and records every raw request
 * frame. KafkaJS and @platformatic/kafka each produce one keyed message to topic 'golden'; the
 * captured frames must decode, with the generated decoders, into the expected fields.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { ApiKey, apiByKey, apiList, requestHeaderVersion } from '../../src/protocol/generated/apis.js';
import { decodeApiVersionsRequest } from '../../src/protocol/generated/api-versions-request.js';
import { encodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeInitProducerIdResponse } from '../../src/protocol/generated/init-producer-id-response.js';
import { decodeMetadataRequest } from '../../src/protocol/generated/metadata-request.js';
import { encodeMetadataResponse } from '../../src/protocol/generated/metadata-response.js';
import { decodeProduceRequest } from '../../src/protocol/generated/produce-request.js';
import { encodeProduceResponse } from '../../src/protocol/generated/produce-response.js';
import { decodeRequestHeader, type RequestHeader } from '../../src/protocol/generated/request-header.js';
import { encodeResponseHeader } from '../../src/protocol/generated/response-header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

interface Captured {
  header: RequestHeader;
  headerVersion: number;
  /** The request body (a copy of the frame after the header). */
  body: Buffer;
}

const TOPIC = 'golden';
const TOPIC_ID = 'R29sZGVuVG9waWNJZDAwMA';

class CaptureServer {
  readonly frames: Captured[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((s) => this.onConnection(s));
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const addr = this.server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    this.port = addr.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  framesOf(clientId: string, apiKey: number): Captured[] {
    return this.frames.filter((f) => f.header.clientId === clientId && f.header.requestApiKey === apiKey);
  }

  versionsSeen(clientId: string): string {
    return this.frames
      .filter((f) => f.header.clientId === clientId)
      .map(
        (f) =>
          `${apiByKey(f.header.requestApiKey)?.name ?? f.header.requestApiKey} v${f.header.requestApiVersion}`,
      )
      .join(', ');
  }

  private onConnection(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    let pending = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        this.onFrame(s, frame);
      }
    });
  }

  private onFrame(s: Socket, frame: Buffer): void {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const hv = requestHeaderVersion(apiKey, version);
    if (hv < 0 && apiKey !== ApiKey.ApiVersions) {
      s.destroy();
      return;
    }
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, hv < 0 ? 1 : hv);
    const body = frame.subarray(r.pos);
    this.frames.push({ header, headerVersion: hv, body });
    const api = apiByKey(apiKey);
    let resVersion = version;
    const w = new Writer();
    const size = w.reserveInt32();
    const writeHeader = (v: number) => {
      const rhv = apiKey === ApiKey.ApiVersions ? 0 : api!.responseHeaderVersions[v]!;
      encodeResponseHeader(w, { correlationId: header.correlationId }, rhv);
    };
    switch (apiKey) {
      case ApiKey.ApiVersions: {
        const max = api!.maxVersion;
        const errorCode = version > max ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.NONE;
        if (version > max) resVersion = 0;
        writeHeader(resVersion);
        encodeApiVersionsResponse(
          w,
          {
            errorCode,
            apiKeys: apiList.map((a) => ({
              apiKey: a.apiKey,
              minVersion: a.minVersion,
              maxVersion: a.maxVersion,
            })),
            throttleTimeMs: 0,
          },
          resVersion,
        );
        break;
      }
      case ApiKey.Metadata: {
        const req = decodeMetadataRequest(new Reader(body), version);
        const names = req.topics === null ? [TOPIC] : req.topics.map((t) => t.name ?? TOPIC);
        writeHeader(version);
        encodeMetadataResponse(
          w,
          {
            throttleTimeMs: 0,
            brokers: [{ nodeId: 1, host: '127.0.0.1', port: this.port, rack: null }],
            clusterId: 'golden-cluster',
            controllerId: 1,
            topics: names.map((name) => ({
              errorCode: 0,
              name,
              topicId: TOPIC_ID,
              isInternal: false,
              partitions: [
                {
                  errorCode: 0,
                  partitionIndex: 0,
                  leaderId: 1,
                  leaderEpoch: 0,
                  replicaNodes: [1],
                  isrNodes: [1],
                },
              ],
            })),
          },
          version,
        );
        break;
      }
      case ApiKey.InitProducerId:
        writeHeader(version);
        encodeInitProducerIdResponse(
          w,
          { throttleTimeMs: 0, errorCode: 0, producerId: 1000, producerEpoch: 0 },
          version,
        );
        break;
      case ApiKey.Produce: {
        const req = decodeProduceRequest(new Reader(body), version);
        if (req.acks === 0) return;
        writeHeader(version);
        encodeProduceResponse(
          w,
          {
            responses: req.topicData.map((t) => ({
              name: t.name,
              partitionResponses: t.partitionData.map((p) => ({
                index: p.index,
                errorCode: 0,
                baseOffset: 0,
              })),
            })),
            throttleTimeMs: 0,
          },
          version,
        );
        break;
      }
      default:
        s.destroy();
        return;
    }
    w.patchInt32(size, w.length - 4);
    s.cork();
    for (const c of w.finish()) s.write(c);
    s.uncork();
  }
}

/** A produced magic-2 record batch: the first batch is complete and well-formed at the header level. */
function assertMagic2Batch(records: Buffer | null, key: string, value: string): void {
  assert.ok(records !== null, 'records present');
  assert.ok(records.length >= 61, 'at least a batch header');
  assert.equal(records.readInt8(16), 2, 'magic 2');
  const batchLength = records.readInt32BE(8);
  assert.ok(12 + batchLength <= records.length, 'batch length within the records');
  assert.equal(records.readInt32BE(57), 1, 'one record');
  assert.ok(records.includes(Buffer.from(key)), 'key in the batch');
  assert.ok(records.includes(Buffer.from(value)), 'value in the batch');
}

describe('golden: real clients’ requests decode', { timeout: 30_000 }, () => {
  const server = new CaptureServer();
  before(() => server.start());
  after(() => server.close());

  it('KafkaJS: ApiVersions, Metadata and Produce', async (t) => {
    const clientId = 'golden-kafkajs';
    const kafka = new Kafka({
      clientId,
      brokers: [`127.0.0.1:${server.port}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 3000,
      retry: { retries: 0 },
    });
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    try {
      await producer.connect();
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key: 'key-kafkajs', value: 'value-kafkajs' }],
      });
    } finally {
      await producer.disconnect();
    }

    t.diagnostic(server.versionsSeen(clientId));
    const av = server.framesOf(clientId, ApiKey.ApiVersions);
    assert.ok(av.length >= 1, 'ApiVersions sent');
    const avReq = decodeApiVersionsRequest(new Reader(av[0]!.body), av[0]!.header.requestApiVersion);
    assert.ok(avReq !== undefined);

    const md = server.framesOf(clientId, ApiKey.Metadata);
    assert.ok(md.length >= 1, 'Metadata sent');
    const mdNames = md.flatMap((f) => {
      const r = new Reader(f.body);
      const req = decodeMetadataRequest(r, f.header.requestApiVersion);
      assert.equal(r.remaining(), 0);
      return (req.topics ?? []).map((t) => t.name);
    });
    assert.ok(mdNames.includes(TOPIC), `metadata asked for ${TOPIC}: ${mdNames.join(',')}`);

    const pr = server.framesOf(clientId, ApiKey.Produce);
    assert.equal(pr.length, 1);
    const f = pr[0]!;
    const r = new Reader(f.body);
    const req = decodeProduceRequest(r, f.header.requestApiVersion);
    assert.equal(r.remaining(), 0);
    assert.equal(req.acks, -1);
    assert.equal(req.transactionalId, null);
    assert.equal(req.topicData.length, 1);
    assert.equal(req.topicData[0]!.name, TOPIC);
    assert.equal(req.topicData[0]!.partitionData[0]!.index, 0);
    assertMagic2Batch(req.topicData[0]!.partitionData[0]!.records, 'key-kafkajs', 'value-kafkajs');
  });

  it('@platformatic/kafka: ApiVersions (flexible), Metadata and Produce', async (t) => {
    const clientId = 'golden-platformatic';
    const producer = new Producer({
      clientId,
      bootstrapBrokers: [`127.0.0.1:${server.port}`],
      serializers: stringSerializers,
      retries: 0,
      timeout: 3000,
      connectTimeout: 2000,
    });
    try {
      await producer.send({
        messages: [{ topic: TOPIC, key: 'key-platformatic', value: 'value-platformatic' }],
      });
    } finally {
      await producer.close();
    }

    t.diagnostic(server.versionsSeen(clientId));
    const av = server.framesOf(clientId, ApiKey.ApiVersions);
    assert.ok(av.length >= 1, 'ApiVersions sent');
    const a = av[0]!;
    assert.ok(a.header.requestApiVersion >= 3, 'a flexible ApiVersions request');
    assert.equal(a.headerVersion, 2);
    const avReq = decodeApiVersionsRequest(new Reader(a.body), a.header.requestApiVersion);
    assert.ok(avReq.clientSoftwareName.length > 0, 'client software name');

    const md = server.framesOf(clientId, ApiKey.Metadata);
    assert.ok(md.length >= 1, 'Metadata sent');
    const mdNames = md.flatMap((f) => {
      const r = new Reader(f.body);
      const req = decodeMetadataRequest(r, f.header.requestApiVersion);
      assert.equal(r.remaining(), 0);
      return (req.topics ?? []).map((t) => t.name);
    });
    assert.ok(mdNames.includes(TOPIC), `metadata asked for ${TOPIC}: ${mdNames.join(',')}`);

    const pr = server.framesOf(clientId, ApiKey.Produce);
    assert.equal(pr.length, 1);
    const f = pr[0]!;
    const r = new Reader(f.body);
    const req = decodeProduceRequest(r, f.header.requestApiVersion);
    assert.equal(r.remaining(), 0);
    assert.equal(req.topicData[0]!.name, TOPIC);
    assertMagic2Batch(req.topicData[0]!.partitionData[0]!.records, 'key-platformatic', 'value-platformatic');
  });
});
