/**
 * Idempotent produce rules over the wire against a real broker process: duplicates answered with
 * their original offsets, gaps and stale epochs refused with Kafka's codes, and the producer
 * state and producer id allocation surviving a clean restart and a kill -9.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import type { CreateTopicsResponse } from '../../../src/protocol/generated/create-topics-response.js';
import type { DescribeProducersResponse } from '../../../src/protocol/generated/describe-producers-response.js';
import type { DescribeTransactionsResponse } from '../../../src/protocol/generated/describe-transactions-response.js';
import type { InitProducerIdResponse } from '../../../src/protocol/generated/init-producer-id-response.js';
import type { ListOffsetsResponse } from '../../../src/protocol/generated/list-offsets-response.js';
import type { ProduceResponse } from '../../../src/protocol/generated/produce-response.js';
import { buildBatchSync } from '../../../src/protocol/records/builder.js';
import { BrokerProcess } from '../../helpers/broker.js';
import { call } from '../../helpers/kafka-call.js';
import { RawClient } from '../../helpers/raw-client.js';

const TOPIC = 'idem';

describe('idempotent produce over the wire', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: { 'auto.create.topics.enable': 'false' } });
    c = await RawClient.connect(broker.port);
    const r = await call<CreateTopicsResponse>(c, 19, 7, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(r!.topics[0]!.errorCode, ErrorCode.NONE);
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  const reconnect = async () => {
    c.destroy();
    c = await RawClient.connect(broker.port);
  };

  const initProducerId = async (): Promise<{ producerId: number; producerEpoch: number }> => {
    const r = await call<InitProducerIdResponse>(c, 22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
    });
    assert.equal(r!.errorCode, ErrorCode.NONE);
    return { producerId: r!.producerId, producerEpoch: r!.producerEpoch };
  };

  const produce = async (
    producerId: number,
    producerEpoch: number,
    baseSequence: number,
    count: number,
    transactionalId: string | null = null,
  ) => {
    const values = Array.from({ length: count }, (_, i) => `v${baseSequence + i}`);
    const records = buildBatchSync(
      values.map((value) => ({ value })),
      { producerId, producerEpoch, baseSequence, transactional: transactionalId !== null },
    );
    const r = await call<ProduceResponse>(c, 0, 9, {
      transactionalId,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
    });
    return r!.responses[0]!.partitionResponses[0]!;
  };

  const logEnd = async (): Promise<number> => {
    const r = await call<ListOffsetsResponse>(c, 2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
    });
    return r!.topics[0]!.partitions[0]!.offset;
  };

  let pid = -1;

  it('InitProducerId hands out distinct ids at epoch 0', async () => {
    const a = await initProducerId();
    const b = await initProducerId();
    assert.equal(a.producerEpoch, 0);
    assert.notEqual(a.producerId, b.producerId);
    pid = b.producerId;
  });

  it('a retried batch is acknowledged with its original offsets and written once', async () => {
    const first = await produce(pid, 0, 0, 3);
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.baseOffset, 0);
    const again = await produce(pid, 0, 0, 3);
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.equal(again.baseOffset, 0);
    assert.equal(await logEnd(), 3);
    const next = await produce(pid, 0, 3, 2);
    assert.equal(next.baseOffset, 3);
    // Any of the last five batches is recognised, not just the last one.
    const older = await produce(pid, 0, 0, 3);
    assert.equal(older.errorCode, ErrorCode.NONE);
    assert.equal(older.baseOffset, 0);
    assert.equal(await logEnd(), 5);
  });

  it('a sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER and writes nothing', async () => {
    const gap = await produce(pid, 0, 9, 1);
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(await logEnd(), 5);
  });

  it('a new epoch starts at sequence 0; the old epoch is then INVALID_PRODUCER_EPOCH', async () => {
    const bad = await produce(pid, 1, 5, 1);
    assert.equal(bad.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const bumped = await produce(pid, 1, 0, 2);
    assert.equal(bumped.errorCode, ErrorCode.NONE);
    assert.equal(bumped.baseOffset, 5);
    const stale = await produce(pid, 0, 5, 1);
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await logEnd(), 7);
  });

  it('DescribeProducers shows the producer state', async () => {
    const r = await call<DescribeProducersResponse>(c, 61, 0, {
      topics: [{ name: TOPIC, partitionIndexes: [0] }],
    });
    const p = r!.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    const mine = p.activeProducers.find((x) => x.producerId === pid);
    assert.ok(mine);
    assert.equal(mine.producerEpoch, 1);
    assert.equal(mine.lastSequence, 1);
    assert.equal(mine.currentTxnStartOffset, -1);
  });

  it('a transactional batch outside an open transaction is refused (KIP-890 verification)', async () => {
    const before = await logEnd();
    const r = await produce(pid, 1, 2, 1, 'not-a-transaction');
    assert.equal(r.errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(await logEnd(), before);
  });

  it('a clean restart keeps the sequence state (snapshot) and never reuses a producer id', async () => {
    await broker.restart();
    // The log flushed at shutdown, and the producer state with it.
    assert.ok(readdirSync(join(broker.dataDir, `${TOPIC}-0`)).some((f) => f.endsWith('.snapshot')));
    await reconnect();
    const dup = await produce(pid, 1, 0, 2);
    assert.equal(dup.errorCode, ErrorCode.NONE);
    assert.equal(dup.baseOffset, 5);
    const gap = await produce(pid, 1, 7, 1);
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await produce(pid, 1, 2, 1);
    assert.equal(next.baseOffset, 7);
    const fresh = await initProducerId();
    assert.ok(fresh.producerId > pid, `producer id ${fresh.producerId} reused after restart (had ${pid})`);
    pid = fresh.producerId;
  });

  it('after kill -9 the state is rebuilt from the log', async () => {
    const a = await produce(pid, 0, 0, 4);
    assert.equal(a.errorCode, ErrorCode.NONE);
    const b = await produce(pid, 0, 4, 1);
    await broker.kill();
    await broker.restart();
    await reconnect();
    const dupA = await produce(pid, 0, 0, 4);
    assert.equal(dupA.baseOffset, a.baseOffset);
    const dupB = await produce(pid, 0, 4, 1);
    assert.equal(dupB.baseOffset, b.baseOffset);
    const gap = await produce(pid, 0, 6, 1);
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const end = await logEnd();
    assert.equal(end, b.baseOffset + 1);
    const fresh = await initProducerId();
    assert.ok(fresh.producerId > pid, `producer id ${fresh.producerId} reused after kill -9 (had ${pid})`);
  });

  it('WriteTxnMarkers (the broker form) ends a transaction in a partition and moves the LSO', async () => {
    let init: InitProducerIdResponse | null;
    do {
      init = await call<InitProducerIdResponse>(c, 22, 4, {
        transactionalId: 'wire-markers',
        transactionTimeoutMs: 60000,
        producerId: -1,
        producerEpoch: -1,
      });
      if (init!.errorCode !== ErrorCode.NONE) await new Promise((r) => setTimeout(r, 100));
    } while (init!.errorCode !== ErrorCode.NONE);
    const { producerId, producerEpoch } = init!;
    const added = await call<{
      resultsByTopicV3AndBelow: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }>;
    }>(c, 24, 3, {
      v3AndBelowTransactionalId: 'wire-markers',
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }],
    });
    assert.equal(
      added!.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
      ErrorCode.NONE,
    );
    const start = await logEnd();
    const r = await produce(producerId, producerEpoch, 0, 2, 'wire-markers');
    assert.equal(r.errorCode, ErrorCode.NONE);
    const stable = async () => {
      const x = await call<ListOffsetsResponse>(c, 2, 7, {
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
      });
      return x!.topics[0]!.partitions[0]!.offset;
    };
    assert.equal(await stable(), start);
    const w = await call<{ markers: Array<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }> }>(
      c,
      27,
      1,
      {
        markers: [
          {
            producerId,
            producerEpoch,
            transactionResult: false,
            topics: [{ name: TOPIC, partitionIndexes: [0] }],
            coordinatorEpoch: 0,
          },
        ],
      },
    );
    assert.equal(w!.markers[0]!.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(await stable(), start + 3);
  });
});

describe('producer id and transactional id expiration', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: {
        'producer.id.expiration.ms': '1000',
        'producer.id.expiration.check.interval.ms': '200',
        'transactional.id.expiration.ms': '1000',
        'transactional.id.expiration.check.interval.ms': '200',
      },
    });
    c = await RawClient.connect(broker.port);
    await call<CreateTopicsResponse>(c, 19, 7, {
      topics: [{ name: 'exp', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  const pause = () => new Promise((r) => setTimeout(r, 100));

  it('an idle producer id is forgotten after producer.id.expiration.ms; any sequence is then accepted', async () => {
    const init = await call<InitProducerIdResponse>(c, 22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
    });
    const pid = init!.producerId;
    const produce = async (seq: number) => {
      const records = buildBatchSync([{ value: `x${seq}`, timestamp: Date.now() }], {
        producerId: pid,
        producerEpoch: 0,
        baseSequence: seq,
      });
      const r = await call<ProduceResponse>(c, 0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'exp', partitionData: [{ index: 0, records }] }],
      });
      return r!.responses[0]!.partitionResponses[0]!.errorCode;
    };
    assert.equal(await produce(0), ErrorCode.NONE);
    assert.equal(await produce(5), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const producers = async () => {
      const r = await call<DescribeProducersResponse>(c, 61, 0, {
        topics: [{ name: 'exp', partitionIndexes: [0] }],
      });
      return r!.topics[0]!.partitions[0]!.activeProducers.length;
    };
    while ((await producers()) > 0) await pause();
    assert.equal(await produce(5), ErrorCode.NONE);
  });

  it('an idle transactional id is removed after transactional.id.expiration.ms', async () => {
    let init: InitProducerIdResponse | null;
    do {
      init = await call<InitProducerIdResponse>(c, 22, 4, {
        transactionalId: 'exp-tx',
        transactionTimeoutMs: 60000,
        producerId: -1,
        producerEpoch: -1,
      });
      if (init!.errorCode !== ErrorCode.NONE) await pause();
    } while (init!.errorCode !== ErrorCode.NONE);
    const describe = async () => {
      const r = await call<DescribeTransactionsResponse>(c, 65, 0, { transactionalIds: ['exp-tx'] });
      return r!.transactionStates[0]!.errorCode;
    };
    assert.equal(await describe(), ErrorCode.NONE);
    while ((await describe()) === ErrorCode.NONE) await pause();
    assert.equal(await describe(), ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });
});

describe('a transaction with offset commits, committed after a kill -9', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    c = await RawClient.connect(broker.port);
  });
  after(async () => {
    c.destroy();
    await broker.close();
  });

  const retrying = async <T extends { errorCode: number }>(f: () => Promise<T | null>): Promise<T> => {
    for (;;) {
      const r = await f();
      if (
        r!.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS &&
        r!.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE &&
        r!.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS
      )
        return r!;
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('the offsets written by TxnOffsetCommit become visible when the retried EndTxn commits', async () => {
    const id = 'wire-tx';
    const group = 'wire-group';
    const init = await retrying(() =>
      call<InitProducerIdResponse>(c, 22, 4, {
        transactionalId: id,
        transactionTimeoutMs: 60000,
        producerId: -1,
        producerEpoch: -1,
      }),
    );
    assert.equal(init.errorCode, ErrorCode.NONE);
    const { producerId, producerEpoch } = init;
    const added = await retrying(() =>
      call<{ errorCode: number }>(c, 25, 3, {
        transactionalId: id,
        producerId,
        producerEpoch,
        groupId: group,
      }),
    );
    assert.equal(added.errorCode, ErrorCode.NONE);
    const committed = await call<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(c, 28, 3, {
      transactionalId: id,
      groupId: group,
      producerId,
      producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'some-input',
          partitions: [
            { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    assert.equal(committed!.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const fetchOffset = async () => {
      const r = await retrying(async () => {
        const x = await call<{
          errorCode: number;
          topics: Array<{ partitions: Array<{ committedOffset: number; errorCode: number }> }>;
        }>(c, 1 + 8, 7, {
          groupId: group,
          topics: [{ name: 'some-input', partitionIndexes: [0] }],
          groups: [],
          requireStable: false,
        });
        return x;
      });
      return r.topics[0]!.partitions[0]!.committedOffset;
    };
    assert.equal(await fetchOffset(), -1, 'not visible before the commit');
    await broker.kill();
    await broker.restart();
    c.destroy();
    c = await RawClient.connect(broker.port);
    // The group coordinator loads (skipping the open transaction's commit) before the transaction ends.
    assert.equal(await fetchOffset(), -1, 'not visible after the restart either');
    const end = await retrying(() =>
      call<{ errorCode: number }>(c, 26, 3, {
        transactionalId: id,
        producerId,
        producerEpoch,
        committed: true,
      }),
    );
    assert.equal(end.errorCode, ErrorCode.NONE);
    assert.equal(await fetchOffset(), 42);
  });
});
