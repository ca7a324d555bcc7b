import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { call } from '../helpers/kafka-call.js';
import { RawClient } from '../helpers/raw-client.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
/** tsc's output, one module a file, so the trace names source modules (the bundle would name chunks). */
const MAIN = pathToFileURL(join(ROOT, 'dist', 'src', 'cli', 'main.js')).href;
const HOOK = pathToFileURL(join(ROOT, 'dist', 'test', 'helpers', 'module-trace.js')).href;
const CHILD_TIMEOUT_MS = 20_000;

const GROUP_COORDINATOR = /\/src\/group\/coordinator\.js$/;
const TXN_COORDINATOR = /\/src\/txn\/coordinator\.js$/;

interface Traced {
  child: ChildProcess;
  port: number;
  /** Module URLs loaded so far, in load order. */
  modules(): string[];
}

/** `gregor serve` from dist/src, recording every module it loads; resolves at 'listening'. */
function serveTraced(dataDir: string, trace: string): Promise<Traced> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      HOOK,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(MAIN)}); await main(process.argv.slice(1));`,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
    ],
    { env: { ...process.env, MODULE_TRACE_FILE: trace }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const modules = () => readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`no 'listening' line in ${CHILD_TIMEOUT_MS} ms`));
    }, CHILD_TIMEOUT_MS);
    let buffered = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          res({ child, port: Number(entry.port), modules });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`gregor serve exited (${code}) before listening`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    child.once('close', () => res());
    child.kill('SIGTERM');
  });
}

function loaded(modules: string[], pattern: RegExp): boolean {
  return modules.some((m) => pattern.test(m));
}

describe('a fresh broker loads the coordinators at their first request, not at start', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gregor-lazy-coordinators-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('neither coordinator before listening; the group one at a group request, the transaction one at a transactional request', async () => {
    const served = await serveTraced(join(dir, 'data'), join(dir, 'trace'));
    let client: RawClient | null = null;
    try {
      const atStart = served.modules();
      // The trace works: the broker's own modules are in it.
      assert.ok(loaded(atStart, /\/src\/server\/broker\.js$/), 'the trace names server/broker.js');
      assert.ok(loaded(atStart, /\/src\/txn\/producer-state-manager\.js$/), 'producer states load at start');
      assert.ok(!loaded(atStart, GROUP_COORDINATOR), 'group/coordinator.js is not loaded at start');
      assert.ok(!loaded(atStart, TXN_COORDINATOR), 'txn/coordinator.js is not loaded at start');

      client = await RawClient.connect(served.port);
      // An idempotent producer's InitProducerId needs no transaction coordinator.
      const idempotent = await call(client, 22, 4, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      });
      assert.equal(idempotent?.errorCode, 0);
      assert.ok(!loaded(served.modules(), TXN_COORDINATOR), 'an idempotent InitProducerId left it unloaded');
      const found = await call<{ coordinators: { errorCode: number }[] }>(client, 10, 4, {
        keyType: 0,
        coordinatorKeys: ['lazy-coordinators'],
      });
      assert.equal(found?.coordinators[0]?.errorCode, 0);
      const afterGroup = served.modules();
      assert.ok(loaded(afterGroup, GROUP_COORDINATOR), 'FindCoordinator loaded group/coordinator.js');
      assert.ok(!loaded(afterGroup, TXN_COORDINATOR), 'a group request left txn/coordinator.js unloaded');

      const init = await call(client, 22, 4, {
        transactionalId: 'lazy-coordinators',
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      });
      assert.ok(init !== null, 'InitProducerId answered');
      assert.ok(loaded(served.modules(), TXN_COORDINATOR), 'InitProducerId loaded txn/coordinator.js');
    } finally {
      client?.destroy();
      await stop(served.child);
    }
  });
});
