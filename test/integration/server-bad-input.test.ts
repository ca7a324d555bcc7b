import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.js';
import { Reader } from '../../src/protocol/reader.js';
import { BrokerProcess } from '../helpers/broker.js';
import { RawClient, requestHeaderV1 } from '../helpers/raw-client.js';

const API_VERSIONS = 18;

/** ApiVersions v0 (empty body) as a full frame body. */
function apiVersionsV0(correlationId: number): Buffer {
  return requestHeaderV1(API_VERSIONS, 0, correlationId);
}

function parseApiVersions(frame: Buffer, version: number) {
  const r = new Reader(frame);
  const correlationId = r.int32();
  return { correlationId, body: decodeApiVersionsResponse(r, version) };
}

/** A healthy connection still gets a correct ApiVersions answer. */
async function assertServing(broker: BrokerProcess): Promise<void> {
  const c = await RawClient.connect(broker.port);
  c.send(apiVersionsV0(4242));
  const frame = await c.next();
  assert.ok(frame, 'broker answered ApiVersions');
  const { correlationId, body } = parseApiVersions(frame, 0);
  assert.equal(correlationId, 4242);
  assert.equal(body.errorCode, 0);
  assert.ok(body.apiKeys.some((k) => k.apiKey === 0));
  c.destroy();
}

describe('server: bad input', () => {
  let broker: BrokerProcess;
  // A long-lived connection opened first: it must keep working through every bad one.
  let bystander: RawClient;

  before(async () => {
    broker = await BrokerProcess.start();
    bystander = await RawClient.connect(broker.port);
  });
  after(async () => {
    bystander.destroy();
    await broker.close();
  });

  const expectClosed = async (c: RawClient) => {
    const frame = await c.next();
    assert.equal(frame, null, 'connection closed without a response');
    assert.ok(c.closed);
  };

  it('closes a connection that sends random bytes', async () => {
    const c = await RawClient.connect(broker.port);
    // A size prefix that is larger than socket.request.max.bytes or negative, then noise.
    const noise = randomBytes(4096);
    noise.writeInt32BE(0x7fff_ffff, 0);
    c.write(noise);
    await expectClosed(c);
    await assertServing(broker);
  });

  it('closes on a negative size', async () => {
    const c = await RawClient.connect(broker.port);
    const b = Buffer.alloc(8);
    b.writeInt32BE(-5, 0);
    c.write(b);
    await expectClosed(c);
  });

  it('closes on a size above socket.request.max.bytes before reading it', async () => {
    const c = await RawClient.connect(broker.port);
    const b = Buffer.alloc(4);
    b.writeInt32BE(100 * 1024 * 1024 + 1, 0);
    c.write(b);
    await expectClosed(c);
  });

  it('closes on a frame shorter than a request header', async () => {
    const c = await RawClient.connect(broker.port);
    c.send(Buffer.from([0, 18, 0]));
    await expectClosed(c);
  });

  it('a truncated frame then a close does not disturb the broker', async () => {
    const c = await RawClient.connect(broker.port);
    const b = Buffer.alloc(4 + 10);
    b.writeInt32BE(1000, 0);
    c.write(b);
    c.end();
    await c.closedPromise;
    await assertServing(broker);
  });

  it('closes on an unknown api key', async () => {
    const c = await RawClient.connect(broker.port);
    c.send(requestHeaderV1(9999, 0, 1));
    await expectClosed(c);
  });

  it('closes on an unsupported version of a known API (Produce v2, below the Kafka 4.0 floor)', async () => {
    const c = await RawClient.connect(broker.port);
    c.send(requestHeaderV1(0, 2, 1));
    await expectClosed(c);
  });

  it('closes on every version Kafka 4.0 removed (KIP-896), for each API this broker serves', async () => {
    // [api key, highest removed version]: Fetch v3, ListOffsets v0, OffsetCommit v1, OffsetFetch v0,
    // CreateTopics v1, DeleteTopics v0, WriteTxnMarkers v0, DescribeConfigs v0, DescribeLogDirs v0,
    // OffsetForLeaderEpoch v1.
    const removed: [number, number][] = [
      [1, 3],
      [2, 0],
      [8, 1],
      [9, 0],
      [19, 1],
      [20, 0],
      [27, 0],
      [32, 0],
      [35, 0],
      [23, 1],
    ];
    for (const [apiKey, version] of removed) {
      const c = await RawClient.connect(broker.port);
      c.send(requestHeaderV1(apiKey, version, 1));
      await expectClosed(c);
      // Closed for the version, not for the missing body.
      const reason = new RegExp(
        `^api key ${apiKey} \\(\\w+\\) version ${version} is not in ${version + 1}-\\d+$`,
      );
      const deadline = Date.now() + 5000;
      while (!broker.logs.some((l) => typeof l.reason === 'string' && reason.test(l.reason))) {
        assert.ok(Date.now() < deadline, `no close reason matching ${reason}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });

  it('closes on a version above the newest (Metadata v99)', async () => {
    const c = await RawClient.connect(broker.port);
    c.send(requestHeaderV1(3, 99, 1));
    await expectClosed(c);
  });

  it('answers ApiVersions of an unknown version with UNSUPPORTED_VERSION at v0', async () => {
    const c = await RawClient.connect(broker.port);
    c.send(requestHeaderV1(API_VERSIONS, 99, 7));
    const frame = await c.next();
    assert.ok(frame);
    const { correlationId, body } = parseApiVersions(frame, 0);
    assert.equal(correlationId, 7);
    assert.equal(body.errorCode, 35);
    assert.deepEqual(
      body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
      [[18, 0, 4]],
    );
    c.destroy();
  });

  it('closes on a huge array count without allocating it (Metadata v1 topics = 2^31-1)', async () => {
    const c = await RawClient.connect(broker.port);
    const count = Buffer.alloc(4);
    count.writeInt32BE(0x7fff_ffff, 0);
    c.send(Buffer.concat([requestHeaderV1(3, 1, 1), count]));
    await expectClosed(c);
  });

  it('closes on a string length larger than the frame (declared length > frame)', async () => {
    const c = await RawClient.connect(broker.port);
    const topics = Buffer.alloc(6);
    topics.writeInt32BE(1, 0); // one topic
    topics.writeInt16BE(30000, 4); // its name claims 30000 bytes
    c.send(Buffer.concat([requestHeaderV1(3, 1, 1), topics, Buffer.from('abc')]));
    await expectClosed(c);
  });

  it('closes on a negative array length where null is not allowed', async () => {
    const c = await RawClient.connect(broker.port);
    // CreateTopics v2: topics array with count -2.
    const body = Buffer.alloc(4);
    body.writeInt32BE(-2, 0);
    c.send(Buffer.concat([requestHeaderV1(19, 2, 1), body]));
    await expectClosed(c);
  });

  it('answers pipelined requests in request order', async () => {
    const c = await RawClient.connect(broker.port);
    const frames = [1, 2, 3, 4, 5].map((id) => {
      const body = apiVersionsV0(id);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(body.length, 0);
      return Buffer.concat([prefix, body]);
    });
    c.write(Buffer.concat(frames));
    for (const id of [1, 2, 3, 4, 5]) {
      const frame = await c.next();
      assert.ok(frame);
      assert.equal(parseApiVersions(frame, 0).correlationId, id);
    }
    c.destroy();
  });

  it('a frame split across many writes is assembled', async () => {
    const c = await RawClient.connect(broker.port);
    const body = apiVersionsV0(99);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(body.length, 0);
    const all = Buffer.concat([prefix, body]);
    for (let i = 0; i < all.length; i++) {
      c.write(all.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    const frame = await c.next();
    assert.ok(frame);
    assert.equal(parseApiVersions(frame, 0).correlationId, 99);
    c.destroy();
  });

  it('kept serving the connection opened before all of this, and logged the bad ones', async () => {
    bystander.send(apiVersionsV0(31337));
    const frame = await bystander.next();
    assert.ok(frame);
    assert.equal(parseApiVersions(frame, 0).correlationId, 31337);
    const closes = broker.logs.filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('closing connection'),
    );
    assert.ok(closes.length >= 8, `expected the bad connections to be logged, saw ${closes.length}`);
  });
});
