import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BrokerProcess } from '../helpers/broker.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const SCRIPT = join(ROOT, 'test', 'integration', 'py', 'restart_roundtrip.py');
/** The system Python, where the Debian packages python3-kafka and python3-confluent-kafka live. */
const PYTHON = '/usr/bin/python3';
const N = 40;

type Row = [partition: number, offset: number, key: string, value: string];

describe('Python clients: acknowledged records survive a broker restart', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start();
  });
  after(async () => {
    await broker.close();
  });

  function run(client: string, mode: 'produce' | 'read', topic: string): Promise<Row[]> {
    return new Promise((res, rej) => {
      execFile(
        PYTHON,
        [SCRIPT, client, mode, broker.bootstrap, topic, String(N)],
        { timeout: 25_000, maxBuffer: 16 << 20 },
        (err, out, errOut) =>
          err
            ? rej(new Error(`${client} ${mode} failed: ${err.message}\n${errOut}`))
            : res(JSON.parse(out.trim().split('\n').at(-1)!) as Row[]),
      );
    });
  }

  for (const client of ['kafka-python', 'confluent']) {
    it(`${client}: SIGTERM, then kill -9; everything acknowledged is read back, nothing else`, async () => {
      const termTopic = `py-restart-term-${client}`;
      const ackedTerm = await run(client, 'produce', termTopic);
      assert.equal(ackedTerm.length, N);
      // Offsets per partition are dense from 0: what the broker acknowledged is the whole log.
      for (const p of [0, 1, 2]) {
        const offsets = ackedTerm.filter((r) => r[0] === p).map((r) => r[1]);
        assert.deepEqual(
          offsets,
          offsets.map((_, i) => i),
        );
      }
      assert.equal(await broker.stop(), 0, 'clean exit on SIGTERM');
      await broker.restart();
      assert.deepEqual(await run(client, 'read', termTopic), ackedTerm);

      const killTopic = `py-restart-kill-${client}`;
      const ackedKill = await run(client, 'produce', killTopic);
      assert.equal(ackedKill.length, N);
      await broker.kill();
      await broker.restart();
      assert.deepEqual(await run(client, 'read', killTopic), ackedKill);
      assert.deepEqual(await run(client, 'read', termTopic), ackedTerm);
    });
  }
});
