import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Connection } from '../../../src/client/connection.js';
import { ClientError } from '../../../src/client/errors.js';
import { ApiKey, apiByKey } from '../../../src/protocol/generated/apis.js';
import { encodeApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.js';
import type { MetadataResponse } from '../../../src/protocol/generated/metadata-response.js';
import { encodeMetadataResponse } from '../../../src/protocol/generated/metadata-response.js';
import { decodeRequestHeader } from '../../../src/protocol/generated/request-header.js';
import { encodeResponseHeader } from '../../../src/protocol/generated/response-header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

interface Held {
  socket: Socket;
  correlationId: number;
  apiKey: number;
  version: number;
}

/**
 * A fake broker on a real socket: answers ApiVersions (advertising Metadata up to `metadataMax`)
 * at once, and holds Metadata requests until `release()`; records the most it held at once.
 */
async function fakeBroker(metadataMax: number): Promise<{
  server: Server;
  port: number;
  held: Held[];
  maxHeld: () => number;
  versions: number[];
  release: () => void;
}> {
  const held: Held[] = [];
  const versions: number[] = [];
  let maxHeld = 0;
  const answer = (h: Held): void => {
    const api = apiByKey(h.apiKey)!;
    const w = new Writer();
    const size = w.reserveInt32();
    encodeResponseHeader(w, { correlationId: h.correlationId }, api.responseHeaderVersions[h.version]!);
    if (h.apiKey === ApiKey.ApiVersions)
      encodeApiVersionsResponse(
        w,
        {
          errorCode: 0,
          apiKeys: [
            { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
            { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: metadataMax },
          ],
        },
        h.version,
      );
    else
      encodeMetadataResponse(
        w,
        { brokers: [{ nodeId: h.correlationId, host: 'h', port: 1 }], topics: [] },
        h.version,
      );
    w.patchInt32(size, w.length - 4);
    h.socket.write(w.toBuffer());
  };
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const header = decodeRequestHeader(
          new Reader(frame),
          apiByKey(apiKey)!.requestHeaderVersions[version]!,
        );
        const h = { socket, correlationId: header.correlationId, apiKey, version };
        if (apiKey === ApiKey.ApiVersions) answer(h);
        else {
          versions.push(version);
          held.push(h);
          maxHeld = Math.max(maxHeld, held.length);
        }
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    server,
    port: (server.address() as { port: number }).port,
    held,
    maxHeld: () => maxHeld,
    versions,
    release: () => {
      for (const h of held.splice(0)) answer(h);
    },
  };
}

describe('client Connection on a real socket', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('keeps at most maxInFlight requests on the wire and matches responses by correlation id', async () => {
    const fake = await fakeBroker(12);
    servers.push(fake.server);
    const conn = await Connection.connect('127.0.0.1', fake.port, { maxInFlight: 3 });
    try {
      const all = Array.from({ length: 20 }, () =>
        conn.request<MetadataResponse>(ApiKey.Metadata, { topics: [] }),
      );
      let done = 0;
      for (const p of all) p.then(() => done++);
      while (done < 20) {
        // Wait until the client has put what it may on the wire, then answer it.
        const limit = Date.now() + 10_000;
        while (fake.held.length < Math.min(3, 20 - done)) {
          assert.ok(Date.now() < limit, `the client sent only ${fake.held.length} requests`);
          await new Promise((r) => setTimeout(r, 1));
        }
        assert.ok(fake.held.length <= 3, `held ${fake.held.length}`);
        fake.release();
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 5));
      }
      const results = await Promise.all(all);
      assert.equal(fake.maxHeld(), 3);
      // Each response carries its own correlation id as the broker's node id.
      const ids = results.map((r) => r.brokers[0]!.nodeId);
      assert.equal(new Set(ids).size, 20);
    } finally {
      conn.close();
    }
  });

  it('uses the highest version both sides support', async () => {
    const fake = await fakeBroker(7);
    servers.push(fake.server);
    const conn = await Connection.connect('127.0.0.1', fake.port);
    try {
      assert.equal(conn.version(ApiKey.Metadata), 7);
      const p = conn.request(ApiKey.Metadata, { topics: [] });
      while (fake.held.length === 0) await new Promise((r) => setImmediate(r));
      fake.release();
      await p;
      assert.deepEqual(fake.versions, [7]);
      assert.throws(
        () => conn.version(ApiKey.Produce),
        (e: unknown) => e instanceof ClientError && /does not support Produce/.test(e.message),
      );
    } finally {
      conn.close();
    }
  });
});
