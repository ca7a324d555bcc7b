/**
 * Idempotence and transactions with confluent-kafka-python (librdkafka) against a real broker
 * process behind a proxy that cuts the first produce connections right after the broker answered.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BrokerProcess } from '../../helpers/broker.js';
import { CuttingProxy } from '../../helpers/cutting-proxy.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const SCRIPT = join(ROOT, 'test', 'integration', 'py', 'txn_confluent_check.py');
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
      overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}` },
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
});
