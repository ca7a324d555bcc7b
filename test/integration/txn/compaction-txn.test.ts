/**
 * Compaction of logs that hold transactions, against a real broker process with KafkaJS (and kcat
 * for librdkafka's reading of a compacted log): the log cleaner runs every 100 ms, and what it
 * leaves is read back with real consumers and, for `__consumer_offsets`, after a kill -9 and a
 * restart (the committed offsets are rebuilt from the compacted log).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { type KafkaClient, kafkajsClient, readFromBeginning } from '../../helpers/kafkajs.js';
import { kcat, nonEmptyLines } from '../../helpers/kcat.js';

/** How long a test waits for the cleaner to have passed over a log. */
const COMPACTION_WAIT_MS = 20_000;
const ROLL_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const OVERRIDES = {
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '1',
  'transaction.state.log.num.partitions': '1',
  // Segments roll at the first append ROLL_MS after they began; the cleaner runs all the time,
  // on any dirty share.
  'log.roll.ms': String(ROLL_MS),
  'log.cleaner.backoff.ms': '100',
  'log.cleaner.min.cleanable.ratio': '0.01',
};

const client = (bootstrap: string): KafkaClient => kafkajsClient(bootstrap, 'compaction-txn', 10);

/** Waits until the broker logged a compaction of `topic`-0 that covered the offsets below `end`. */
async function compactedUpTo(broker: BrokerProcess, topic: string, end: number): Promise<void> {
  const deadline = Date.now() + COMPACTION_WAIT_MS;
  for (;;) {
    const done = broker.logs.some(
      (l) => l.msg === 'compacted log' && l.topic === topic && Number(l.endOffset) >= end,
    );
    if (done) return;
    if (Date.now() > deadline)
      throw new Error(`no compaction of ${topic} up to offset ${end} in ${COMPACTION_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function highWatermark(kafka: KafkaClient, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const [p] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return Number(p!.high);
}

/** Every `key=value` of the topic from the beginning up to its current end, in offset order. */
async function readAll(kafka: KafkaClient, topic: string, readUncommitted: boolean): Promise<string[]> {
  const end = await highWatermark(kafka, topic);
  const got: string[] = [];
  await readFromBeginning(kafka, topic, readUncommitted, (_partition, message) => {
    got.push(`${message.key?.toString()}=${message.value?.toString()}`);
    return Number(message.offset) >= end - 1;
  });
  return got;
}

/** `key=value` lines of the whole topic read with kcat (librdkafka) at `isolation`. */
async function kcatRead(bootstrap: string, topic: string, isolation: string): Promise<string[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-e', '-q', '-o', 'beginning'];
  args.push('-X', `isolation.level=${isolation}`, '-f', '%k=%s\n');
  return nonEmptyLines(await kcat(args, '', COMPACTION_WAIT_MS));
}

describe('compaction of transactional data (KafkaJS)', () => {
  let broker: BrokerProcess;
  let kafka: KafkaClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: OVERRIDES });
    kafka = client(broker.bootstrap);
  });
  after(async () => {
    await broker.close();
  });

  it('an aborted sendOffsets never replaces the committed offset, across compaction and kill -9', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'eos-in' }, { topic: 'eos-out' }], waitForLeaders: true });
    const producer = kafka.producer({
      transactionalId: 'compaction-tx',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const commit = await producer.transaction();
    await commit.send({ topic: 'eos-out', messages: [{ value: 'committed' }] });
    await commit.sendOffsets({
      consumerGroupId: 'eos-group',
      topics: [{ topic: 'eos-in', partitions: [{ partition: 0, offset: '5' }] }],
    });
    await commit.commit();
    const abort = await producer.transaction();
    await abort.send({ topic: 'eos-out', messages: [{ value: 'aborted' }] });
    await abort.sendOffsets({
      consumerGroupId: 'eos-group',
      topics: [{ topic: 'eos-in', partitions: [{ partition: 0, offset: '10' }] }],
    });
    await abort.abort();
    const afterAbort = await highWatermark(kafka, '__consumer_offsets');

    // Another group's commit after the roll time starts a new segment: the transactions' records
    // are in an inactive one, which the cleaner may compact.
    await sleep(ROLL_MS + 100);
    const other = await producer.transaction();
    await other.send({ topic: 'eos-out', messages: [{ value: 'other' }] });
    await other.sendOffsets({
      consumerGroupId: 'other-group',
      topics: [{ topic: 'eos-in', partitions: [{ partition: 0, offset: '1' }] }],
    });
    await other.commit();
    await producer.disconnect();
    await compactedUpTo(broker, '__consumer_offsets', afterAbort);

    await broker.kill();
    await broker.restart();
    const again = client(broker.bootstrap);
    const againAdmin = again.admin();
    await againAdmin.connect();
    const [fetched] = await againAdmin.fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
    await againAdmin.disconnect();
    await admin.disconnect().catch(() => {});
    assert.deepEqual(
      fetched!.partitions.map((p) => p.offset),
      ['5'],
    );
    kafka = again;
  });

  it('a compacted topic keeps the committed value of a key and drops the aborted one', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'eos-compacted',
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer({
      transactionalId: 'compaction-topic-tx',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const commit = await producer.transaction();
    await commit.send({ topic: 'eos-compacted', messages: [{ key: 'k', value: 'committed' }] });
    await commit.commit();
    const abort = await producer.transaction();
    await abort.send({ topic: 'eos-compacted', messages: [{ key: 'k', value: 'aborted' }] });
    await abort.abort();
    await producer.disconnect();
    const afterAbort = await highWatermark(kafka, 'eos-compacted');
    await sleep(ROLL_MS + 100);
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'eos-compacted', messages: [{ key: 'later', value: 'plain' }] });
    await plain.disconnect();
    await compactedUpTo(broker, 'eos-compacted', afterAbort);

    assert.deepEqual(await readAll(kafka, 'eos-compacted', true), ['k=committed', 'later=plain']);
    assert.deepEqual(await readAll(kafka, 'eos-compacted', false), ['k=committed', 'later=plain']);
    // librdkafka reads through the emptied batch the cleaner kept for the producer's sequence.
    for (const isolation of ['read_committed', 'read_uncommitted'])
      assert.deepEqual(await kcatRead(broker.bootstrap, 'eos-compacted', isolation), [
        'k=committed',
        'later=plain',
      ]);
  });
});
