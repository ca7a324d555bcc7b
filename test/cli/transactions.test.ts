import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker.js';
import { gregor, lines } from '../helpers/cli.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

describe('gregor consume and log dump with transactions written by KafkaJS', () => {
  let broker: BrokerProcess;
  let b: string[];

  before(async () => {
    broker = await BrokerProcess.start();
    b = ['--bootstrap-server', broker.bootstrap];
  });
  after(async () => {
    await broker?.close();
  });

  it('read_committed skips aborted transactions and stops at the end; read_uncommitted shows them; log dump shows the markers', async () => {
    let r = await gregor(['topic', 'create', ...b, '--topic', 'tx', '--partitions', '1']);
    assert.equal(r.code, 0, r.stderr);
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'cli-txn', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'cli-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      for (const [tag, commit] of [
        ['c1', true],
        ['a1', false],
        ['c2', true],
      ] as const) {
        const t = await producer.transaction();
        await t.send({ topic: 'tx', messages: [{ value: `${tag}-x` }, { value: `${tag}-y` }] });
        if (commit) await t.commit();
        else await t.abort();
      }
    } finally {
      await producer.disconnect();
    }
    await gregor(['produce', ...b, '-t', 'tx'], 'plain\n');

    r = await gregor([
      'consume',
      ...b,
      '-t',
      'tx',
      '--from-beginning',
      '-e',
      '--isolation-level',
      'read_committed',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['c1-x', 'c1-y', 'c2-x', 'c2-y', 'plain']);
    r = await gregor(['consume', ...b, '-t', 'tx', '--from-beginning', '-e']);
    assert.deepEqual(lines(r.stdout), ['c1-x', 'c1-y', 'a1-x', 'a1-y', 'c2-x', 'c2-y', 'plain']);
    r = await gregor(['consume', ...b, '-t', 'tx', '--from-beginning', '-e', '-f', '%o %s\\n']);
    assert.deepEqual(
      lines(r.stdout).map((l) => l.split(' ')[0]),
      ['0', '1', '3', '4', '6', '7', '9'],
      'markers take offsets 2, 5 and 8',
    );

    r = await gregor(['log', 'dump', '--deep-iteration', `${broker.dataDir}/tx-0/00000000000000000000.log`]);
    assert.equal(r.code, 0, r.stderr);
    const markers = lines(r.stdout).filter((l) => l.includes('controlType'));
    assert.equal(markers.length, 3, r.stdout);
    assert.match(markers[0]!, /^\| offset: 2 .*controlType: COMMIT$/);
    assert.match(markers[1]!, /^\| offset: 5 .*controlType: ABORT$/);
    assert.match(markers[2]!, /^\| offset: 8 .*controlType: COMMIT$/);
    assert.match(
      r.stdout,
      /baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: \d+ producerEpoch: \d+ .*isTransactional: true isControl: false/,
    );
  });
});
