import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker } from '../../src/index.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
/** TypeScript's compiler from this repository's dev dependencies. */
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Active handles and requests by type (timers, sockets, servers, file handles, …). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resolves when `port` can be bound again on 127.0.0.1. */
function bindable(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Temp dirs startBroker made (gregor-XXXXXX) in the OS temp dir. */
function gregorTempDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((n) => /^gregor-[A-Za-z0-9]{6}$/.test(n)));
}

describe('startBroker (embedded API)', () => {
  it('creates the topics asked for; KafkaJS produces and consumes; close removes the temp dir', async () => {
    const broker = await startBroker({
      topics: [
        { name: 'orders', partitions: 3, configs: { 'cleanup.policy': 'delete', 'retention.ms': 60_000 } },
      ],
    });
    assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.ok(broker.port > 0);
    assert.equal(broker.adminUrl, null);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.equal(meta.topics[0]?.partitions.length, 3);
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    assert.equal(configs.resources[0]?.configEntries[0]?.configValue, '60000');
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'first' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'embedded', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const value = await new Promise<string>((res, rej) => {
      consumer.run({ eachMessage: async ({ message }) => res(String(message.value)) }).catch(rej);
    });
    await consumer.disconnect();
    assert.equal(value, 'first');

    assert.ok(existsSync(broker.dataDir));
    await broker.close();
    assert.equal(existsSync(broker.dataDir), false);
    await broker.close(); // idempotent
  });

  it('starts and stops 20 brokers in a row without leaking ports, temp dirs or handles', async () => {
    // One broker first, so lazily created process-wide handles (stdio, …) are in the baseline.
    await (await startBroker()).close();
    const before = await settledResources();
    const dirsBefore = gregorTempDirs();
    for (let i = 0; i < 20; i++) {
      const broker = await startBroker({
        topics: [{ name: `t${i}`, partitions: 2 }],
        config: { 'admin.listener': '127.0.0.1:0' },
      });
      // Real traffic: a client connects, reads metadata, and the admin server answers.
      const kafka = new Kafka({
        brokers: [broker.bootstrap],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      });
      const admin = kafka.admin();
      await admin.connect();
      assert.deepEqual(await admin.listTopics(), [`t${i}`]);
      await admin.disconnect();
      const ready = await fetch(`${broker.adminUrl}/ready`);
      assert.equal(ready.status, 200);
      await ready.text();
      const adminPort = Number(new URL(broker.adminUrl!).port);
      await broker.close();
      assert.equal(existsSync(broker.dataDir), false, `data dir of broker ${i} removed`);
      assert.ok(await bindable(broker.port), `port ${broker.port} of broker ${i} can be bound again`);
      assert.ok(await bindable(adminPort), `admin port ${adminPort} of broker ${i} can be bound again`);
    }
    // undici (fetch) keeps its sockets a moment; wait for the resource list to settle.
    let after = resources();
    for (let i = 0; i < 50 && !sameCounts(before, after); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = resources();
    }
    assert.deepEqual(Object.fromEntries(after), Object.fromEntries(before));
    assert.deepEqual(
      [...gregorTempDirs()].filter((d) => !dirsBefore.has(d)),
      [],
    );
  });

  it('keeps a data dir it was given, and the topics in it, across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-kept-'));
    try {
      const first = await startBroker({ dataDir: dir, topics: [{ name: 'kept', partitions: 2 }] });
      await first.close();
      assert.ok(existsSync(dir));
      const second = await startBroker({ dataDir: dir, topics: [{ name: 'kept', partitions: 2 }] });
      const kafka = new Kafka({ brokers: [second.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      assert.deepEqual(await admin.listTopics(), ['kept']);
      await admin.disconnect();
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad setting or topic, naming it, and leaves nothing behind', async () => {
    const dirsBefore = gregorTempDirs();
    await assert.rejects(
      startBroker({ config: { 'num.partitions': 'many' } }),
      /num\.partitions=many: 'many' is not an integer/,
    );
    await assert.rejects(
      startBroker({ config: { 'log.retention.hourz': 1 } }),
      /log\.retention\.hourz=1: unknown setting/,
    );
    await assert.rejects(
      startBroker({ topics: [{ name: 'bad name!' }] }),
      /startBroker: Topic name "bad name!" is illegal/,
    );
    assert.deepEqual(
      [...gregorTempDirs()].filter((d) => !dirsBefore.has(d)),
      [],
    );
  });

  it("is importable as 'gregor' from an ESM module (the package's exports map)", async () => {
    const script = `import { startBroker } from 'gregor';
const b = await startBroker();
console.log(typeof b.bootstrap, typeof b.close);
await b.close();`;
    const out = await new Promise<string>((res, rej) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT }, (err, stdout) =>
        err ? rej(err) : res(stdout),
      ),
    );
    assert.equal(out.trim(), 'string function');
  });
});

/** The resource counts once two samples 50 ms apart agree (closing sockets finish). */
async function settledResources(): Promise<Map<string, number>> {
  let last = resources();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = resources();
    if (sameCounts(last, now)) return now;
    last = now;
  }
  return last;
}

describe('the package as an ESM TypeScript project imports it', () => {
  it("type-checks `import { startBroker, type RunningBroker } from 'gregor'` (exports map and .d.ts)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-importer-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules', 'gregor'), 'dir');
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            types: [],
            skipLibCheck: true,
            typeRoots: [join(ROOT, 'node_modules/@types')],
          },
          files: ['use.ts'],
        }),
      );
      writeFileSync(
        join(dir, 'use.ts'),
        `import { startBroker, type RunningBroker } from 'gregor';
const b: RunningBroker = await startBroker({ topics: [{ name: 't', partitions: 2 }], config: { 'num.partitions': 3 } });
const port: number = b.port;
const url: string | null = b.adminUrl;
await b.close();
export { port, url };
`,
      );
      const ok = await new Promise<{ code: number; out: string }>((res) =>
        execFile(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], (err, stdout, stderr) =>
          res({ code: err ? 1 : 0, out: stdout + stderr }),
        ),
      );
      assert.equal(ok.code, 0, ok.out);
      // And a wrong use is caught, so the check above is not vacuous.
      writeFileSync(
        join(dir, 'use.ts'),
        `import { startBroker } from 'gregor';\nawait startBroker({ topics: [{ nam: 't' }] });\n`,
      );
      const bad = await new Promise<{ code: number; out: string }>((res) =>
        execFile(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], (err, stdout, stderr) =>
          res({ code: err ? 1 : 0, out: stdout + stderr }),
        ),
      );
      assert.equal(bad.code, 1);
      assert.match(bad.out, /nam/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function sameCounts(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
