import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.js';
import { encodeProduceRequest } from '../../src/protocol/generated/produce-request.js';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { buildBatchSync } from '../../src/protocol/records/builder.js';
import { Writer } from '../../src/protocol/writer.js';
import { BrokerProcess } from '../helpers/broker.js';
import { call } from '../helpers/kafka-call.js';
import { RawClient } from '../helpers/raw-client.js';

function produceFrame(
  correlationId: number,
  topics: { name: string; index: number }[],
  acks: number,
): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { requestApiKey: 0, requestApiVersion: 9, correlationId, clientId: 'acks0' }, 2);
  encodeProduceRequest(
    w,
    {
      acks,
      timeoutMs: 1000,
      topicData: topics.map((t) => ({
        name: t.name,
        partitionData: [{ index: t.index, records: buildBatchSync([{ value: `m${correlationId}` }]) }],
      })),
    },
    9,
  );
  const body = w.toBuffer();
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

describe('Produce acks=0', () => {
  it('a failed partition closes the connection with no response; good requests before it are appended', async () => {
    const broker = await BrokerProcess.start();
    try {
      const admin = await RawClient.connect(broker.port);
      const created = await call<CreateTopicsResponse>(admin, 19, 7, {
        topics: [{ name: 'acks0', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      assert.equal(created!.topics[0]!.errorCode, ErrorCode.NONE);
      const producer = await RawClient.connect(broker.port);
      producer.write(
        Buffer.concat([
          produceFrame(1, [{ name: 'acks0', index: 0 }], 0),
          produceFrame(2, [{ name: 'acks0', index: 0 }], 0),
          // Kafka closes the connection so the producer refreshes its metadata (no response to send).
          produceFrame(3, [{ name: 'acks0', index: 7 }], 0),
        ]),
      );
      assert.equal(await producer.next(), null, 'no response frame, the connection closed');
      assert.ok(producer.closed);
      const multi = await RawClient.connect(broker.port);
      // One good partition and one unknown topic in one request: still a failure.
      multi.write(
        produceFrame(
          4,
          [
            { name: 'acks0', index: 0 },
            { name: 'no-such-topic', index: 0 },
          ],
          0,
        ),
      );
      assert.equal(await multi.next(), null, 'no response frame, the connection closed');
      const list = await call<ListOffsetsResponse>(admin, 2, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: 'acks0', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] },
        ],
      });
      assert.equal(list!.topics[0]!.partitions[0]!.offset, 3, 'the good appends are in the log');
      admin.destroy();
    } finally {
      await broker.close();
    }
  });
});
