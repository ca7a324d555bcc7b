/**
 * Start-up and footprint figures for the README's "Gregor next to Kafka" table:
 *  - `gregor serve`: process spawn → 'listening' log line, → first TCP connection accepted, and → the
 *    first ApiVersions request answered on it (codec modules load on first use);
 *  - idle resident memory of `gregor serve` a few seconds after start (VmRSS), and again a few
 *    seconds after a little traffic (a KafkaJS producer creating a topic and sending 1 000 messages);
 *  - embedded: startBroker() → a KafkaJS producer's first acknowledged message (connect included);
 *  - install size: the package as npm would pack it, and its production dependencies on disk.
 * Prints figures; never fails on time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker } from '../src/index.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin', 'gregor');
const RUNS = Number(process.env.RUNS ?? 10);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU time (user + system, ms) the process has used so far; 10 ms resolution. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An ApiVersions v0 request (header v1, null client id), correlation id 1. */
const API_VERSIONS_V0 = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);

/**
 * One `gregor serve` run: ms to 'listening', to first accepted connection, to the first
 * ApiVersions answer on it (codecs load on first use), CPU ms at 'listening', idle RSS (KiB).
 */
async function serveOnce(measureRss: boolean): Promise<{
  listening: number;
  connected: number;
  answered: number;
  cpu: number;
  rss: number;
  rssAfterTraffic: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((res, rej) => {
    let buf = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      buf += c;
      const m = /"port":(\d+).*"msg":"listening"|"msg":"listening".*?"port":(\d+)/.exec(buf);
      if (m) res(Number(m[1] ?? m[2]));
    });
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${buf}`)));
  });
  const listening = performance.now() - t0;
  const cpu = cpuMs(child.pid!);
  let connected = 0;
  await new Promise<void>((res, rej) => {
    const s = connect(port, '127.0.0.1', () => {
      connected = performance.now() - t0;
      s.write(API_VERSIONS_V0);
    });
    let got = 0;
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 4 && got >= 4 + c.readInt32BE(0)) {
        s.destroy();
        res();
      }
    });
    s.once('error', rej);
  });
  const answered = performance.now() - t0;
  let rss = 0;
  let rssAfterTraffic = 0;
  if (measureRss) {
    await sleep(3000);
    rss = rssKiB(child.pid!);
    await littleTraffic(port);
    await sleep(3000);
    rssAfterTraffic = rssKiB(child.pid!);
  }
  await new Promise<void>((res) => {
    child.once('exit', () => res());
    child.kill('SIGTERM');
  });
  rmSync(dir, { recursive: true, force: true });
  return { listening, connected, answered, cpu, rss, rssAfterTraffic };
}

/** A topic auto-created and 1 000 small messages in 10 acknowledged batches, then disconnect. */
async function littleTraffic(port: number): Promise<void> {
  const kafka = new kafkajs.Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  for (let b = 0; b < 10; b++) {
    const messages = Array.from({ length: 100 }, (_, i) => ({ value: `message ${b * 100 + i}` }));
    await producer.send({ topic: 'traffic', messages });
  }
  await producer.disconnect();
}

async function embeddedFirstAck(): Promise<number> {
  const t0 = performance.now();
  const broker = await startBroker();
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic: 'first', messages: [{ value: 'hello' }] });
  const ms = performance.now() - t0;
  await producer.disconnect();
  await broker.close();
  return ms;
}

function duKiB(path: string): number {
  let total = 0;
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else total += st.size;
  };
  walk(path);
  return total / 1024;
}

async function main(): Promise<void> {
  const serves: { listening: number; connected: number; answered: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS; i++) serves.push(await serveOnce(false));
  // bin/gregor runs the esbuild bundle when `npm run build` made one after the last tsc (see there).
  const bundled =
    existsSync(join(ROOT, 'dist', 'bundle', 'main.js')) &&
    statSync(join(ROOT, 'dist', 'bundle', 'main.js')).mtimeMs >=
      statSync(join(ROOT, 'dist', 'src', 'cli', 'main.js')).mtimeMs;
  console.log(
    `(${process.version}; medians of runs on a possibly shared machine: wall times vary with load)`,
  );
  console.log(
    `gregor serve runs ${bundled ? 'the bundle (dist/bundle)' : 'the tsc output module by module (dist/src)'}`,
  );
  console.log(
    `gregor serve, spawn → 'listening' log line: median ${median(serves.map((s) => s.listening)).toFixed(0)} ms (${RUNS} runs)`,
  );
  console.log(
    `gregor serve, spawn → first TCP connection accepted: median ${median(serves.map((s) => s.connected)).toFixed(0)} ms`,
  );
  console.log(
    `gregor serve, spawn → first ApiVersions answered: median ${median(serves.map((s) => s.answered)).toFixed(0)} ms`,
  );
  console.log(
    `gregor serve, CPU time (user+system) used by 'listening': median ${median(serves.map((s) => s.cpu)).toFixed(0)} ms (load-independent)`,
  );
  const rss: number[] = [];
  const rssAfterTraffic: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const r = await serveOnce(true);
    rss.push(r.rss);
    rssAfterTraffic.push(r.rssAfterTraffic);
  }
  console.log(
    `gregor serve, idle RSS 3 s after start (no topics): median ${(median(rss) / 1024).toFixed(1)} MiB (${rss.length} runs)`,
  );
  console.log(
    `gregor serve, idle RSS 3 s after a little traffic (1 topic, 1 000 messages produced): median ${(median(rssAfterTraffic) / 1024).toFixed(1)} MiB`,
  );
  const nodeRss = execFileSync(process.execPath, [
    '-e',
    'setTimeout(()=>console.log(process.memoryUsage().rss),500)',
  ])
    .toString()
    .trim();
  console.log(
    `(for scale: an idle 'node -e setTimeout' process: ${(Number(nodeRss) / 1048576).toFixed(1)} MiB)`,
  );

  const acks: number[] = [];
  await embeddedFirstAck(); // warm the module cache, as a test file's second broker would see it
  for (let i = 0; i < RUNS; i++) acks.push(await embeddedFirstAck());
  console.log(
    `embedded: startBroker() → KafkaJS producer's first acknowledged message: median ${median(acks).toFixed(0)} ms, min ${Math.min(...acks).toFixed(0)} ms (${RUNS} runs, in-process)`,
  );

  const pack = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString(),
  ) as { size: number; unpackedSize: number; entryCount: number }[];
  const p = pack[0]!;
  console.log(
    `package: ${(p.size / 1024).toFixed(0)} KiB packed, ${(p.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${p.entryCount} files`,
  );
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString()
    .trim()
    .split('\n')
    .filter((d) => d !== ROOT && d.includes('node_modules'));
  // Nested paths are counted once: only top-most directories.
  const top = deps.filter((d) => !deps.some((o) => o !== d && d.startsWith(`${o}/`)));
  const depKiB = top.reduce((n, d) => n + duKiB(d), 0);
  console.log(
    `production dependencies installed: ${deps.length} packages, ${(depKiB / 1024).toFixed(1)} MiB on disk (this platform's native binaries only)`,
  );
}

await main();
