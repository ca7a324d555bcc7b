/**
 * Idempotence and transactions with confluent-kafka-python (librdkafka) against a real broker
 * process behind a proxy that cuts the first produce connections right after the broker answered.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { CuttingProxy } from '../../helpers/cutting-proxy.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const SCRIPT = join(ROOT, 'test', 'integration', 'py', 'txn_confluent_check.py');
const RESTART_SCRIPT = join(ROOT, 'test', 'integration', 'py', 'txn_confluent_restart.py');
/** The system Python, where Debian's python3-confluent-kafka lives. */
const PYTHON = '/usr/bin/python3';

describe('confluent-kafka-python idempotence and transactions', () => {
  let broker: BrokerProcess;
  let proxy: CuttingProxy;
  let proxyPort = 0;

  before(async () => {
    proxy = new CuttingProxy();
    proxyPort = await proxy.listen();
    broker = await BrokerProcess.start({
      overrides: {
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`,
        'group.initial.rebalance.delay.ms': '0',
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200',
      },
    });
    proxy.target = broker.port;
  });
  after(async () => {
    await broker.close();
    await proxy.close();
  });

  it('no duplicates through cut connections; commit/abort, read_committed, sendOffsets, fencing', async () => {
    proxy.cutNextProduce(3);
    const stdout = await new Promise<string>((res, rej) => {
      execFile(
        PYTHON,
        [SCRIPT, `127.0.0.1:${proxyPort}`],
        { timeout: 55_000, maxBuffer: 16 << 20 },
        (err, out, errOut) => (err ? rej(new Error(`${err.message}\n${errOut}`)) : res(out)),
      );
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.ok(proxy.cuts >= 3, `only ${proxy.cuts} connections were cut`);
    assert.deepEqual(report.idempotentErrors, []);
    assert.deepEqual(report.idempotent, Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    const values = (tag: string) => [0, 1, 2].flatMap((p) => [0, 1].map((i) => `${tag}-${p}-${i}`));
    assert.deepEqual(report.readCommitted, values('c').sort());
    assert.deepEqual(report.readUncommitted, [...values('c'), ...values('a')].sort());
    assert.equal(report.committedOffset, 4);
    assert.deepEqual(report.transformed, ['IN0', 'IN1', 'IN2', 'IN3']);
    // librdkafka raises its local _FENCED error once the broker answers PRODUCER_FENCED/INVALID_PRODUCER_EPOCH.
    assert.match(String(report.zombieCommit), /FENCED|INVALID_PRODUCER_EPOCH/);
    assert.deepEqual(report.fenced, ['successor']);
  });

  it('kill -9 with a transaction open and an idempotent producer mid-stream: no duplicate, the transaction aborted', async () => {
    const { Kafka, logLevel } = kafkajs;
    const kafka = new Kafka({ brokers: [`127.0.0.1:${proxyPort}`], logLevel: logLevel.NOTHING });
    const topic = 'py-restart';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const child = spawn(PYTHON, [RESTART_SCRIPT, `127.0.0.1:${proxyPort}`, topic], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextLine = async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`script ended early: ${stderr}`);
      return r.value;
    };
    try {
      assert.equal(await nextLine(), 'ready');
      await broker.kill();
      await broker.restart();
      proxy.target = broker.port;
      child.stdin.write('go\n');
      const report = JSON.parse(await nextLine()) as { errors: string[] };
      assert.deepEqual(report.errors, []);
    } finally {
      child.kill('SIGKILL');
    }
    const end = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await end.connect();
    await end.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, value: 'end' })) });
    await end.disconnect();
    const consumer = kafka.consumer({ groupId: 'py-restart-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    const ended = new Set<number>();
    await new Promise<void>((res, rej) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const v = message.value?.toString() ?? '';
            if (v === 'end') ended.add(partition);
            else got.push(v);
            if (ended.size === 3) res();
          },
        })
        .catch(rej);
    });
    await consumer.disconnect();
    assert.deepEqual(got.sort(), Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
  });
});
