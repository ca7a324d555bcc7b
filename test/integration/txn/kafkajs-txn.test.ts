/**
 * Exactly-once with KafkaJS against a real broker process: an idempotent producer whose
 * connection is cut after the broker wrote its batch leaves no duplicate; transactions commit and
 * abort across three partitions and read_committed sees only the committed records;
 * sendOffsets commits offsets with the output; a second producer with the same transactional id
 * fences the first; kill -9 in the middle of a transaction ends in an abort by timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { CuttingProxy } from '../../helpers/cutting-proxy.js';
import { type KafkaClient, kafkajsClient, readFromBeginning } from '../../helpers/kafkajs.js';

/** Readers join fresh groups: no wait for more members before the first rebalance. */
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };

const client = (bootstrap: string): KafkaClient => kafkajsClient(bootstrap, 'kafkajs-txn');

async function createTopic(kafka: KafkaClient, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
}

/**
 * Reads every partition of `topic` from the beginning until a record valued `end` has been seen
 * on each of them; returns the other values by partition.
 */
async function readUntilEnd(
  kafka: KafkaClient,
  topic: string,
  partitions: number,
  readUncommitted: boolean,
): Promise<string[]> {
  const got: string[] = [];
  const ended = new Set<number>();
  await readFromBeginning(kafka, topic, readUncommitted, (partition, message) => {
    const v = message.value?.toString() ?? '';
    if (v === 'end') ended.add(partition);
    else got.push(v);
    return ended.size === partitions;
  });
  return got.sort();
}

async function endMarkers(kafka: KafkaClient, topic: string, partitions: number): Promise<void> {
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  await p.send({
    topic,
    messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: 'end' })),
  });
  await p.disconnect();
}

describe('KafkaJS idempotent producer through a connection cut', () => {
  let broker: BrokerProcess;
  let proxy: CuttingProxy;
  let proxyPort = 0;

  before(async () => {
    proxy = new CuttingProxy();
    proxyPort = await proxy.listen();
    broker = await BrokerProcess.start({
      overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`, ...FAST_GROUPS },
    });
    proxy.target = broker.port;
  });
  after(async () => {
    await broker.close();
    await proxy.close();
  });

  it('batches retried after the broker wrote them are not written twice, across a restart too', async () => {
    const kafka = client(`127.0.0.1:${proxyPort}`);
    const topic = 'idem-cut';
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const n = 30;
    for (let i = 0; i < n; i++) {
      if (i % 5 === 2) proxy.cutNextProduce();
      // Halfway, the broker restarts (SIGTERM) behind the proxy: the same producer carries on.
      if (i === 15) {
        await broker.restart();
        proxy.target = broker.port;
      }
      await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `m${i}` }] });
    }
    await producer.disconnect();
    assert.ok(proxy.cuts >= 6, `only ${proxy.cuts} connections were cut`);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    assert.equal(offsets[0]!.high, String(n));
    await endMarkers(kafka, topic, 1);
    const got = await readUntilEnd(kafka, topic, 1, false);
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `m${i}`).sort());
  });
});

describe('KafkaJS transactions', () => {
  let broker: BrokerProcess;
  let kafka: KafkaClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: FAST_GROUPS });
    kafka = client(broker.bootstrap);
  });
  after(async () => {
    await broker.close();
  });

  it('commits one transaction and aborts another across 3 partitions; read_committed sees the committed one', async () => {
    const topic = 'txn-3p';
    await createTopic(kafka, topic, 3);
    const producer = kafka.producer({
      transactionalId: 'tx-commit-abort',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const messages = (tag: string) =>
      [0, 1, 2].flatMap((partition) => [0, 1].map((i) => ({ partition, value: `${tag}-${partition}-${i}` })));
    const committed = await producer.transaction();
    await committed.send({ topic, messages: messages('c') });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: messages('a') });
    await aborted.abort();
    await producer.disconnect();
    await endMarkers(kafka, topic, 3);
    const readCommitted = await readUntilEnd(kafka, topic, 3, false);
    assert.deepEqual(
      readCommitted,
      messages('c')
        .map((m) => m.value)
        .sort(),
    );
    const readUncommitted = await readUntilEnd(kafka, topic, 3, true);
    assert.deepEqual(readUncommitted, [...messages('c'), ...messages('a')].map((m) => m.value).sort());
  });

  it('an open transaction holds read_committed consumers at the last stable offset', async () => {
    const topic = 'txn-lso';
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({ transactionalId: 'tx-lso', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ partition: 0, value: 'open' }] });
    // ListOffsets latest: the high watermark for read_uncommitted, the last stable offset for read_committed.
    assert.deepEqual(await latestOffsets(broker, topic), { uncommitted: 1, committed: 0 });
    assert.equal(await describeTransactions(broker, 'tx-lso'), 'Ongoing');
    assert.deepEqual(await listTransactions(broker, ['Ongoing']), ['tx-lso']);
    await txn.commit();
    assert.equal(await describeTransactions(broker, 'tx-lso'), 'CompleteCommit');
    // The commit marker takes an offset too.
    assert.deepEqual(await latestOffsets(broker, topic), { uncommitted: 2, committed: 2 });
    await producer.disconnect();
    await endMarkers(kafka, topic, 1);
    assert.deepEqual(await readUntilEnd(kafka, topic, 1, false), ['open']);
  });

  it('OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT while sendOffsets is uncommitted', async () => {
    const topic = 'stable-in';
    await createTopic(kafka, topic, 1);
    const groupId = 'stable-group';
    const producer = kafka.producer({
      transactionalId: 'tx-stable',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '4' }] }],
    });
    // Pending: require_stable must refuse to answer; without it the last committed offset (none) is returned.
    assert.deepEqual(await fetchOffset(broker, groupId, topic, true), { errorCode: 88, committedOffset: -1 });
    assert.deepEqual(await fetchOffset(broker, groupId, topic, false), { errorCode: 0, committedOffset: -1 });
    await txn.commit();
    assert.deepEqual(await fetchOffset(broker, groupId, topic, true), { errorCode: 0, committedOffset: 4 });
    await producer.disconnect();
  });

  it('consume-transform-produce commits the output and the offsets atomically (sendOffsets)', async () => {
    const input = 'ctp-in';
    const output = 'ctp-out';
    await createTopic(kafka, input, 1);
    await createTopic(kafka, output, 1);
    const seed = kafka.producer();
    await seed.connect();
    await seed.send({
      topic: input,
      messages: Array.from({ length: 6 }, (_, i) => ({ partition: 0, value: `in${i}` })),
    });
    await seed.disconnect();
    const groupId = 'ctp-group';
    const producer = kafka.producer({ transactionalId: 'tx-ctp', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    // First batch committed: in0..in2 → OUT0..OUT2, offset 3.
    const t1 = await producer.transaction();
    await t1.send({ topic: output, messages: [0, 1, 2].map((i) => ({ partition: 0, value: `OUT${i}` })) });
    await t1.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }],
    });
    await t1.commit();
    // Second batch aborted: its output and its offset (6) must both vanish.
    const t2 = await producer.transaction();
    await t2.send({ topic: output, messages: [3, 4, 5].map((i) => ({ partition: 0, value: `OUT${i}` })) });
    await t2.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '6' }] }],
    });
    await t2.abort();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    assert.equal(offsets[0]!.partitions[0]!.offset, '3');
    await endMarkers(kafka, output, 1);
    assert.deepEqual(await readUntilEnd(kafka, output, 1, false), ['OUT0', 'OUT1', 'OUT2']);
    // After a restart the group's offsets are replayed from __consumer_offsets without the aborted commit.
    await broker.restart();
    kafka = client(broker.bootstrap);
    const again = kafka.admin();
    await again.connect();
    const replayed = await again.fetchOffsets({ groupId, topics: [input] });
    await again.disconnect();
    assert.equal(replayed[0]!.partitions[0]!.offset, '3');
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const topic = 'txn-fence';
    await createTopic(kafka, topic, 1);
    const zombie = kafka.producer({ transactionalId: 'tx-fence', maxInFlightRequests: 1, idempotent: true });
    await zombie.connect();
    const zt = await zombie.transaction();
    await zt.send({ topic, messages: [{ partition: 0, value: 'zombie' }] });
    const successor = kafka.producer({
      transactionalId: 'tx-fence',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await successor.connect();
    // KafkaJS initialises the transactional producer id when the first transaction begins.
    const st = await successor.transaction();
    await assert.rejects(zt.commit(), (err: Error & { type?: string }) => {
      assert.match(String(err.type ?? err.message), /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/);
      return true;
    });
    await st.send({ topic, messages: [{ partition: 0, value: 'successor' }] });
    await st.commit();
    await successor.disconnect();
    await zombie.disconnect().catch(() => {});
    await endMarkers(kafka, topic, 1);
    assert.deepEqual(await readUntilEnd(kafka, topic, 1, false), ['successor']);
  });
});

describe('KafkaJS transaction across a broker kill -9', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200', ...FAST_GROUPS },
    });
  });
  after(async () => {
    await broker.close();
  });

  it('a transaction open past its timeout is aborted and its producer fenced', async () => {
    const topic = 'txn-timeout';
    const kafka = client(broker.bootstrap);
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({
      transactionalId: 'tx-timeout',
      maxInFlightRequests: 1,
      idempotent: true,
      transactionTimeout: 1000,
    });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ partition: 0, value: 'late' }] });
    while ((await describeTransactions(broker, 'tx-timeout')) !== 'CompleteAbort')
      await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(txn.commit());
    await producer.disconnect().catch(() => {});
    await endMarkers(kafka, topic, 1);
    assert.deepEqual(await readUntilEnd(kafka, topic, 1, false), []);
  });

  it('an open transaction is aborted by its timeout after restart, never half-visible', async () => {
    const topic = 'txn-kill';
    let kafka = client(broker.bootstrap);
    await createTopic(kafka, topic, 3);
    const producer = kafka.producer({
      transactionalId: 'tx-kill',
      maxInFlightRequests: 1,
      idempotent: true,
      transactionTimeout: 3000,
    });
    await producer.connect();
    const done = await producer.transaction();
    await done.send({
      topic,
      messages: [0, 1, 2].map((partition) => ({ partition, value: `done-${partition}` })),
    });
    await done.commit();
    const open = await producer.transaction();
    await open.send({
      topic,
      messages: [0, 1, 2].map((partition) => ({ partition, value: `open-${partition}` })),
    });
    await broker.kill();
    await producer.disconnect().catch(() => {});
    await broker.restart();
    kafka = client(broker.bootstrap);
    // The end markers queue behind the open transaction for read_committed readers until it is aborted.
    await endMarkers(kafka, topic, 3);
    assert.deepEqual(await readUntilEnd(kafka, topic, 3, false), ['done-0', 'done-1', 'done-2']);
    assert.equal(await describeTransactions(broker, 'tx-kill'), 'CompleteAbort');
    // The aborted range comes back from .txnindex/.snapshot after a clean restart, and after a kill -9 from the log.
    await broker.restart();
    kafka = client(broker.bootstrap);
    assert.deepEqual(await readUntilEnd(kafka, topic, 3, false), ['done-0', 'done-1', 'done-2']);
    await broker.kill();
    await broker.restart();
    kafka = client(broker.bootstrap);
    assert.deepEqual(await readUntilEnd(kafka, topic, 3, false), ['done-0', 'done-1', 'done-2']);
  });
});

/** DescribeTransactions over the wire: the state name of one transactional id. */
async function describeTransactions(broker: BrokerProcess, id: string): Promise<string> {
  const { RawClient } = await import('../../helpers/raw-client.js');
  const { call } = await import('../../helpers/kafka-call.js');
  const c = await RawClient.connect(broker.port);
  try {
    const r = await call<{ transactionStates: Array<{ errorCode: number; transactionState: string }> }>(
      c,
      65,
      0,
      {
        transactionalIds: [id],
      },
    );
    const s = r!.transactionStates[0]!;
    assert.equal(s.errorCode, 0);
    return s.transactionState;
  } finally {
    c.destroy();
  }
}

/** ListOffsets LATEST of partition 0 under both isolation levels, over the wire. */
async function latestOffsets(
  broker: BrokerProcess,
  topic: string,
): Promise<{ uncommitted: number; committed: number }> {
  const { RawClient } = await import('../../helpers/raw-client.js');
  const { call } = await import('../../helpers/kafka-call.js');
  const c = await RawClient.connect(broker.port);
  try {
    const at = async (isolationLevel: number) => {
      const r = await call<{ topics: Array<{ partitions: Array<{ offset: number }> }> }>(c, 2, 7, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
      });
      return r!.topics[0]!.partitions[0]!.offset;
    };
    return { uncommitted: await at(0), committed: await at(1) };
  } finally {
    c.destroy();
  }
}

/** ListTransactions over the wire: the transactional ids in the given states. */
async function listTransactions(broker: BrokerProcess, states: string[]): Promise<string[]> {
  const { RawClient } = await import('../../helpers/raw-client.js');
  const { call } = await import('../../helpers/kafka-call.js');
  const c = await RawClient.connect(broker.port);
  try {
    const r = await call<{ errorCode: number; transactionStates: Array<{ transactionalId: string }> }>(
      c,
      66,
      1,
      {
        stateFilters: states,
        producerIdFilters: [],
        durationFilter: -1,
      },
    );
    assert.equal(r!.errorCode, 0);
    return r!.transactionStates.map((t) => t.transactionalId).sort();
  } finally {
    c.destroy();
  }
}

/** OffsetFetch v7 for one partition; 88 is UNSTABLE_OFFSET_COMMIT. */
async function fetchOffset(
  broker: BrokerProcess,
  groupId: string,
  topic: string,
  requireStable: boolean,
): Promise<{ errorCode: number; committedOffset: number }> {
  const { RawClient } = await import('../../helpers/raw-client.js');
  const { call } = await import('../../helpers/kafka-call.js');
  const c = await RawClient.connect(broker.port);
  try {
    const r = await call<{
      topics: Array<{ partitions: Array<{ errorCode: number; committedOffset: number }> }>;
    }>(c, 9, 7, { groupId, topics: [{ name: topic, partitionIndexes: [0] }], requireStable });
    const p = r!.topics[0]!.partitions[0]!;
    return { errorCode: p.errorCode, committedOffset: p.committedOffset };
  } finally {
    c.destroy();
  }
}
