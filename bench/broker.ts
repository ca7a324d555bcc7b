/**
 * The paper's experiment on loopback: a native librdkafka client (kcat) produces 200-byte
 * messages to a broker child process — one message per request (acks=0 and acks=1), then 50
 * per batch — and one consumer reads everything back. Prints msgs/s, MB/s and the broker's CPU
 * seconds per million messages, plus the broker's idle RSS and its start → first accepted
 * connection time. Figures only; nothing here fails on a number.
 *
 *   npm run build && node dist/bench/broker.js [messages-batch-1] [messages-batch-50]
 *
 * A batch-50 count of 0 runs the batch-1 figures only (for A/B runs of two builds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const MESSAGE_BYTES = 200;
const N1 = Number(process.argv[2] ?? 200_000);
const N50 = Number(process.argv[3] ?? 2_000_000);
const CLK_TCK = 100;

interface Broker {
  child: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
}

function startBroker(dir: string): Promise<Broker> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'gregor'), 'serve', '--port', '0', '--data-dir', dir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  return new Promise((res, rej) => {
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const e = JSON.parse(line) as Record<string, unknown>;
          logs.push(e);
          if (e.msg === 'listening') res({ child, port: e.port as number, logs });
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => rej(new Error(`broker exited ${code}`)));
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function run(cmd: string, args: string[], stdinFile?: string): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: [stdinFile ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
    if (stdinFile) {
      child.stdin!.end(readFileSync(stdinFile));
    }
    child.once('exit', (code) => (code === 0 ? res(0) : rej(new Error(`${cmd} exited ${code}`))));
  });
}

/** How long the bench waits for the log end to reach what was sent (acks=0 may lose messages). */
const END_OFFSET_WAIT_MS = 60_000;

/** Polls the end offset until it reaches `n` or the wait ends; returns the end offset seen. */
async function waitForEndOffset(port: number, topic: string, n: number): Promise<number> {
  const deadline = Date.now() + END_OFFSET_WAIT_MS;
  let seen = -1;
  for (;;) {
    const out = await new Promise<string>((res) => {
      const c = spawn('kcat', ['-Q', '-b', `127.0.0.1:${port}`, '-t', `${topic}:0:-1`], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let s = '';
      c.stdout.setEncoding('utf8');
      c.stdout.on('data', (d: string) => {
        s += d;
      });
      c.once('exit', () => res(s));
    });
    const m = / offset (-?\d+)/.exec(out);
    if (m) seen = Number(m[1]);
    if (seen >= n || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function report(label: string, n: number, seconds: number, cpu: number): void {
  const rate = n / seconds;
  console.log(
    `${label.padEnd(34)} ${String(n).padStart(9)} msgs  ${rate.toFixed(0).padStart(9)} msgs/s  ${((rate * MESSAGE_BYTES) / 1e6).toFixed(1).padStart(7)} MB/s  broker CPU ${((cpu / n) * 1e6).toFixed(2)} s/M msgs (${((cpu / n) * 1e6).toFixed(2)} µs/msg)`,
  );
}

async function produce(
  broker: Broker,
  topic: string,
  file: string,
  n: number,
  props: string[],
  label: string,
): Promise<void> {
  const pid = broker.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const args = ['-P', '-b', `127.0.0.1:${broker.port}`, '-t', topic, '-p', '0', '-l', file];
  for (const p of props) args.push('-X', p);
  await run('kcat', args);
  const reached = await waitForEndOffset(broker.port, topic, n);
  const seconds = (performance.now() - t0) / 1000;
  if (reached < n) console.log(`${label}: only ${reached} of ${n} messages reached the log`);
  report(label, Math.max(reached, 0), seconds, cpuSeconds(pid) - cpu0);
}

async function consume(broker: Broker, topic: string, n: number, label: string): Promise<void> {
  const pid = broker.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await run('kcat', [
    '-C',
    '-b',
    `127.0.0.1:${broker.port}`,
    '-t',
    topic,
    '-p',
    '0',
    '-o',
    'beginning',
    '-c',
    String(n),
    '-q',
    '-f',
    '',
    '-X',
    'fetch.max.bytes=52428800',
    '-X',
    'fetch.message.max.bytes=10485760',
  ]);
  const seconds = (performance.now() - t0) / 1000;
  report(label, n, seconds, cpuSeconds(pid) - cpu0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
  const file = join(dir, 'messages.txt');
  const line = 'x'.repeat(MESSAGE_BYTES);
  writeFileSync(file, `${line}\n`.repeat(Math.max(N1, N50)));
  const file1 = join(dir, 'messages-1.txt');
  writeFileSync(file1, `${line}\n`.repeat(N1));
  const file50 = join(dir, 'messages-50.txt');
  writeFileSync(file50, `${line}\n`.repeat(N50));
  const data = join(dir, 'data');
  const broker = await startBroker(data);
  try {
    // First connection: the broker logs its own uptime when it accepts it.
    await new Promise<void>((res, rej) => {
      const s = connect(broker.port, '127.0.0.1', () => {
        s.destroy();
        res();
      });
      s.once('error', rej);
    });
    await new Promise((r) => setTimeout(r, 200));
    const listening = broker.logs.find((l) => l.msg === 'listening');
    const first = broker.logs.find((l) => l.msg === 'first connection accepted');
    console.log(`broker start → listening: ${listening?.startupMs} ms (process uptime)`);
    console.log(
      `broker start → first accepted connection: ${first?.sinceStartMs} ms (includes the bench's own connect delay)`,
    );
    console.log(`broker idle RSS: ${rssMiB(broker.child.pid!).toFixed(1)} MiB`);
    console.log(`messages: ${MESSAGE_BYTES} bytes, one partition, producer kcat (librdkafka), loopback`);
    const batch1 = ['batch.num.messages=1', 'linger.ms=0', 'queue.buffering.max.messages=1000000'];
    await produce(broker, 'b1-acks0', file1, N1, [...batch1, 'acks=0'], 'produce batch 1, acks=0');
    await produce(broker, 'b1-acks1', file1, N1, [...batch1, 'acks=1'], 'produce batch 1, acks=1');
    if (N50 === 0) return;
    await produce(
      broker,
      'b50',
      file50,
      N50,
      ['batch.num.messages=50', 'linger.ms=5', 'acks=1', 'queue.buffering.max.messages=1000000'],
      'produce batch 50, acks=1',
    );
    await consume(broker, 'b50', N50, 'consume (one consumer)');
    console.log(`broker RSS after the run: ${rssMiB(broker.child.pid!).toFixed(1)} MiB`);
  } finally {
    broker.child.kill('SIGTERM');
    await new Promise((r) => broker.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
