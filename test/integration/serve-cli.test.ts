import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { brokerConfigDefs } from '../../src/cluster/config.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const BIN = join(ROOT, 'bin', 'gregor');
/** A child that does not finish by then fails the test instead of hanging it. */
const CHILD_TIMEOUT_MS = 20_000;

/** The environment without any GREGOR_* variable of the test runner's own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GREGOR_')) env[k] = v;
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gregor <args>` to completion, as a user would from a shell. */
function gregor(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: cleanEnv(env), timeout: CHILD_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        res({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

/** A running `gregor serve`: its JSON log lines and the 'listening' entry. */
interface Served {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  listening: Record<string, unknown>;
}

function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`no 'listening' line in ${CHILD_TIMEOUT_MS} ms: ${JSON.stringify(logs)}`));
    }, CHILD_TIMEOUT_MS);
    let buffered = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          res({ child, logs, listening: entry });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`gregor serve exited (${code}) before listening: ${JSON.stringify(logs)}`));
    });
  });
}

/** SIGTERM, then the exit code once the child's output is read to the end ('close'). */
function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((res) => {
    child.once('close', (code) => res(code));
    child.kill('SIGTERM');
  });
}

describe('gregor serve, driven as a user drives it', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gregor-cli-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every setting with its default, and the flags', async () => {
    const r = await gregor(['serve', '--help']);
    assert.equal(r.code, 0);
    for (const d of brokerConfigDefs) {
      assert.ok(r.stdout.includes(`  ${d.name}`), `--help names ${d.name}`);
      if (d.default !== null && d.default !== '') {
        assert.match(
          r.stdout,
          new RegExp(`  ${d.name.replace(/\./g, '\\.')}\\*? +${escapeRe(d.default)}\\n`),
        );
      }
    }
    for (const flag of ['--config', '--port', '--data-dir', '--admin-port', '--log-level', '--override']) {
      assert.ok(r.stdout.includes(flag), `--help shows ${flag}`);
    }
    assert.match(r.stdout, /GREGOR_LOG_RETENTION_HOURS=24 sets log\.retention\.hours/);
  });

  it('an unknown flag exits 2 with a message and the way to help', async () => {
    const r = await gregor(['serve', '--prot', '9092']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^gregor serve: unknown option '--prot'\nRun 'gregor serve --help'/);
    const r2 = await gregor(['serve', '--port', 'x']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--port must be an integer from 0 to 65535, got 'x'/);
    const r3 = await gregor(['serve', '--port']);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /--port needs a value/);
  });

  it('a bad value stops the start, naming the setting, where it came from and why', async () => {
    const file = join(dir, 'bad.properties');
    writeFileSync(file, '# a comment\nnum.partitions=3\nlog.retention.hours = soon\n');
    const r = await gregor(['serve', file, '--port', '0', '--data-dir', join(dir, 'never')]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `invalid value for log\\.retention\\.hours \\(from ${escapeRe(file)}:3\\): 'soon' is not an integer`,
      ),
    );
    const r2 = await gregor(['serve', '--port', '0'], { GREGOR_COMPRESSION_TYPE: 'brotli' });
    assert.equal(r2.code, 2);
    assert.match(
      r2.stderr,
      /invalid value for compression\.type \(from GREGOR_COMPRESSION_TYPE\): 'brotli' is not one of uncompressed, zstd, lz4, snappy, gzip, producer/,
    );
    const r3 = await gregor(['serve', '--override', 'num.partitions=0']);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /invalid value for num\.partitions \(from --override\): must be at least 1/);
    const r4 = await gregor(['serve', '--config', join(dir, 'missing.properties')]);
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /cannot read config file '.*missing\.properties' \(ENOENT\)/);
  });

  it('precedence: file < flags < GREGOR_* environment (--print-config)', async () => {
    const file = join(dir, 'layers.properties');
    writeFileSync(
      file,
      [
        'num.partitions=2',
        'log.retention.hours: 10',
        'log.segment.bytes 1048576',
        'message.max.bytes=2000000',
        'listeners=PLAINTEXT://127.0.0.1:19092',
        '! another comment style',
        'log.cleanup.policy=\\',
        '    compact',
        'auto.create.topics.enable=\\u0066alse',
      ].join('\n'),
    );
    const r = await gregor(
      [
        'serve',
        '--config',
        file,
        '--print-config',
        '--override',
        'num.partitions=3',
        '--log.retention.hours=20',
      ],
      { GREGOR_NUM_PARTITIONS: '4', GREGOR_LOG_SEGMENT_BYTES: '2097152' },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(lines.get('num.partitions'), '4  # GREGOR_NUM_PARTITIONS'); // file, flag, env: env wins
    assert.equal(lines.get('log.retention.hours'), '20  # --log.retention.hours'); // file, flag: flag wins
    assert.equal(lines.get('log.segment.bytes'), '2097152  # GREGOR_LOG_SEGMENT_BYTES'); // file, env: env wins
    assert.equal(lines.get('message.max.bytes'), `2000000  # ${file}:4`); // file only
    assert.equal(lines.get('log.cleanup.policy'), `compact  # ${file}:7`); // continued line
    assert.equal(lines.get('auto.create.topics.enable'), `false  # ${file}:9`); // \u escape
    assert.equal(lines.get('log.roll.hours'), '168'); // Kafka's default
    // --port keeps the file's listener name and host, and replaces its port.
    const r2 = await gregor(['serve', file, '--print-config', '--port', '0']);
    assert.match(r2.stdout, /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:0 {2}# --port$/m);
  });

  it('a real start honours the layers: a topic auto-created gets the environment num.partitions', async () => {
    const file = join(dir, 'start.properties');
    writeFileSync(file, `num.partitions=2\nlog.dirs=${join(dir, 'from-file')}\nlog.retention.hourz=5\n`);
    const data = join(dir, 'from-flag');
    const served = await serve([file, '--port', '0', '--data-dir', data], { GREGOR_NUM_PARTITIONS: '5' });
    try {
      assert.equal(served.listening.dataDir, data);
      const warning = served.logs.find((l) => l.level === 40);
      assert.match(
        String(warning?.msg),
        new RegExp(
          `unknown setting 'log\\.retention\\.hourz' \\(from ${escapeRe(file)}:3\\) is ignored; did you mean 'log\\.retention\\.hours'\\?`,
        ),
      );
      const kafka = new Kafka({
        brokers: [`127.0.0.1:${served.listening.port}`],
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      await producer.send({ topic: 'auto', messages: [{ value: 'x' }] });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: ['auto'] });
      await admin.disconnect();
      assert.equal(meta.topics[0]?.partitions.length, 5);
    } finally {
      assert.equal(await stop(served.child), 0);
    }
  });

  it('the shipped config/server.properties is read without a warning and its values are used', async () => {
    const file = join(ROOT, 'config', 'server.properties');
    const r = await gregor(['serve', file, '--print-config']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const fromFile = r.stdout.split('\n').filter((l) => l.includes(`# ${file}:`));
    assert.ok(fromFile.length >= 10, r.stdout);
    assert.match(r.stdout, new RegExp(`^log\\.dirs=/tmp/gregor-logs {2}# ${escapeRe(file)}:\\d+$`, 'm'));
  });

  it('--admin-port serves /health and /ready and /metrics next to the broker', async () => {
    const served = await serve(['--port', '0', '--data-dir', join(dir, 'admin'), '--admin-port', '0']);
    try {
      const url = String(served.listening.adminUrl);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(served.listening.adminPort, Number(new URL(url).port));
      const ready = await fetch(`${url}/ready`);
      assert.equal(ready.status, 200);
      await ready.text();
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^gregor_broker_up 1$/m);
    } finally {
      assert.equal(await stop(served.child), 0);
    }
  });

  it('SIGTERM right after the listening line stops gracefully (exit 0), every time', async () => {
    for (let i = 0; i < 5; i++) {
      const served = await serve(['--port', '0', '--data-dir', join(dir, `sigterm-${i}`)]);
      assert.equal(await stop(served.child), 0, `run ${i}`);
      assert.equal(served.logs.at(-1)?.msg, 'stopped');
    }
  });

  it('a port in use stops the start with exit code 1 and a message naming the address', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await gregor(['serve', '--port', String(port), '--data-dir', join(dir, 'busy')]);
      assert.equal(r.code, 1);
      const fatal = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.level === 60);
      assert.match(
        String(fatal?.msg),
        new RegExp(`broker failed to start: .*EADDRINUSE.*127\\.0\\.0\\.1:${port}`),
      );
    } finally {
      blocker.close();
    }
  });

  it('--log-level error hides info lines; --log-format pretty prints readable lines', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await gregor([
        'serve',
        '--port',
        String(port),
        '--data-dir',
        join(dir, 'lvl'),
        '--log-level',
        'error',
      ]);
      assert.equal(r.code, 1);
      const levels = r.stderr
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { level: number }).level);
      // Error and fatal lines only: no 'configuration' (info) line.
      assert.ok(levels.includes(60));
      assert.ok(
        levels.every((l) => l >= 50),
        `levels ${levels}`,
      );
    } finally {
      blocker.close();
    }
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--data-dir', join(dir, 'pretty'), '--log-format', 'pretty'],
      { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let text = '';
    child.stderr!.setEncoding('utf8');
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no listening line: ${text}`)), CHILD_TIMEOUT_MS);
      child.stderr!.on('data', (chunk: string) => {
        text += chunk;
        if (/ listening /.test(text)) {
          clearTimeout(timer);
          res();
        }
      });
    });
    assert.equal(await stop(child), 0);
    assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}configuration /m);
    assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening host=127\.0\.0\.1 port=\d+ /m);
    assert.doesNotMatch(text, /^\{/m);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
