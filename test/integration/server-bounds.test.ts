import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.js';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.js';
import { encodeProduceRequest } from '../../src/protocol/generated/produce-request.js';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { buildBatchSync } from '../../src/protocol/records/builder.js';
import { Writer } from '../../src/protocol/writer.js';
import { BrokerProcess } from '../helpers/broker.js';
import { call } from '../helpers/kafka-call.js';
import { RawClient, requestHeaderV1 } from '../helpers/raw-client.js';

function frame(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

describe('server bounds and shutdown', () => {
  it('reaps idle connections (connections.max.idle.ms)', async () => {
    const broker = await BrokerProcess.start({ overrides: { 'connections.max.idle.ms': '300' } });
    try {
      const c = await RawClient.connect(broker.port);
      await c.closedPromise;
      assert.ok(c.closed);
    } finally {
      await broker.close();
    }
  });

  it('refuses connections beyond max.connections and keeps serving the others', async () => {
    const broker = await BrokerProcess.start({ overrides: { 'max.connections': '2' } });
    try {
      const a = await RawClient.connect(broker.port);
      const b = await RawClient.connect(broker.port);
      // Make sure both are accepted before the third arrives.
      for (const x of [a, b]) {
        x.send(requestHeaderV1(18, 0, 1));
        assert.ok(await x.next());
      }
      const third = await RawClient.connect(broker.port);
      assert.equal(await third.next(), null, 'third connection closed');
      a.send(requestHeaderV1(18, 0, 2));
      assert.ok(await a.next(), 'an accepted connection keeps working');
      a.destroy();
      await a.closedPromise;
      // A slot is free again once the broker has seen the close.
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        const d = await RawClient.connect(broker.port);
        d.send(requestHeaderV1(18, 0, 3));
        ok = (await d.next()) !== null;
        d.destroy();
        if (!ok) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ok, 'a new connection is accepted after one closed');
      b.destroy();
    } finally {
      await broker.close();
    }
  });

  it('answers many pipelined requests in order through the in-flight bound', async () => {
    const broker = await BrokerProcess.start();
    try {
      const c = await RawClient.connect(broker.port);
      const n = 500;
      c.write(Buffer.concat(Array.from({ length: n }, (_, i) => frame(requestHeaderV1(18, 0, i)))));
      for (let i = 0; i < n; i++) {
        const f = await c.next();
        assert.ok(f);
        assert.equal(f.readInt32BE(0), i);
      }
      c.destroy();
    } finally {
      await broker.close();
    }
  });

  it('handles every request a client sent before closing its side (acks=0 producer exiting)', async () => {
    const broker = await BrokerProcess.start();
    try {
      const admin = await RawClient.connect(broker.port);
      const created = await call<CreateTopicsResponse>(admin, 19, 7, {
        topics: [{ name: 'half-open', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      assert.equal(created!.topics[0]!.errorCode, ErrorCode.NONE);
      const producer = await RawClient.connect(broker.port);
      const n = 300; // well past the per-connection in-flight bound
      const frames: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const w = new Writer();
        encodeRequestHeader(
          w,
          { requestApiKey: 0, requestApiVersion: 9, correlationId: i, clientId: 'half' },
          2,
        );
        encodeProduceRequest(
          w,
          {
            acks: 0,
            timeoutMs: 1000,
            topicData: [
              {
                name: 'half-open',
                partitionData: [{ index: 0, records: buildBatchSync([{ value: `m${i}` }]) }],
              },
            ],
          },
          9,
        );
        frames.push(frame(w.toBuffer()));
      }
      producer.write(Buffer.concat(frames));
      producer.end();
      await producer.closedPromise;
      const list = await call<ListOffsetsResponse>(admin, 2, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: 'half-open', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] },
        ],
      });
      assert.equal(list!.topics[0]!.partitions[0]!.offset, n, 'every acks=0 record was appended');
      admin.destroy();
    } finally {
      await broker.close();
    }
  });

  it('on SIGTERM answers a parked fetch, then exits 0', async () => {
    const broker = await BrokerProcess.start();
    try {
      const c = await RawClient.connect(broker.port);
      const created = await call<CreateTopicsResponse>(c, 19, 7, {
        topics: [{ name: 'parked', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      assert.equal(created!.topics[0]!.errorCode, ErrorCode.NONE);
      const fetch = call<FetchResponse>(c, 1, 11, {
        replicaId: -1,
        maxWaitMs: 25_000,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'parked',
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0,
                logStartOffset: -1,
                partitionMaxBytes: 1024,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      // Give the request time to reach the broker and park.
      await new Promise((r) => setTimeout(r, 300));
      const code = broker.stop();
      const response = await fetch;
      assert.ok(response, 'the parked fetch was answered before the connection closed');
      assert.equal(response.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      assert.equal(await code, 0);
      assert.ok(broker.logs.some((l) => l.msg === 'stopped'));
    } finally {
      await broker.close();
    }
  });
});
