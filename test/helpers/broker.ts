import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const BIN = join(ROOT, 'bin', 'gregor');
/** How long a broker child may take to print its listening line before the test fails. */
const START_TIMEOUT_MS = 20_000;

export interface BrokerProcessOptions {
  dataDir?: string;
  overrides?: Record<string, string>;
}

/**
 * A real broker child process (`bin/gregor serve --port 0`) on loopback. The port is learned
 * from the JSON "listening" log line on stderr. It can be stopped with SIGTERM, killed with
 * SIGKILL and restarted on the same data dir.
 */
export class BrokerProcess {
  readonly dataDir: string;
  readonly overrides: Record<string, string>;
  readonly #ownsDir: boolean;
  #child: ChildProcess | null = null;
  #port = 0;
  /** Every JSON log line the broker printed (across restarts). */
  readonly logs: Record<string, unknown>[] = [];
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  private constructor(options: BrokerProcessOptions) {
    this.#ownsDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gregor-test-'));
    this.overrides = options.overrides ?? {};
  }

  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const b = new BrokerProcess(options);
    await b.#spawn();
    return b;
  }

  get port(): number {
    return this.#port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The admin HTTP server's URL of the current run (with `admin.listener` set), from its listening line. */
  get adminUrl(): string | undefined {
    const url = this.logs.filter((l) => l.msg === 'listening').at(-1)?.adminUrl;
    return typeof url === 'string' ? url : undefined;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #spawn(): Promise<void> {
    const args = [BIN, 'serve', '--port', '0', '--data-dir', this.dataDir];
    for (const [k, v] of Object.entries(this.overrides)) args.push('--override', `${k}=${v}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    this.#exit = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
    return new Promise((res, rej) => {
      let buffered = '';
      const timer = setTimeout(
        () => rej(new Error(`broker did not start in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(line) as Record<string, unknown>;
          } catch {
            entry = { msg: line };
          }
          this.logs.push(entry);
          if (entry.msg === 'listening' && typeof entry.port === 'number') {
            this.#port = entry.port;
            clearTimeout(timer);
            res();
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        rej(
          new Error(
            `broker exited before listening (code ${code}, signal ${signal}): ${JSON.stringify(this.logs.slice(-5))}`,
          ),
        );
      });
    });
  }

  /** SIGTERM and wait for the exit; returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.#child) return null;
    this.#child.kill('SIGTERM');
    const { code } = await this.#exit!;
    this.#child = null;
    return code;
  }

  /** kill -9 and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill('SIGKILL');
    await this.#exit;
    this.#child = null;
  }

  /** Starts again on the same data dir (a new port). */
  async restart(): Promise<void> {
    if (this.#child) await this.stop();
    await this.#spawn();
  }

  /** Stops (kill -9 if SIGTERM is not enough) and removes the data dir if this helper made it. */
  async close(): Promise<void> {
    if (this.#child) {
      const child = this.#child;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.stop();
      clearTimeout(timer);
    }
    if (this.#ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
