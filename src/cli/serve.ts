import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createLogger } from '../core/log.js';

const USAGE = `Usage: gregor serve [--port P] [--data-dir DIR] [--host H]

Runs a single-node broker in the foreground. Logs go to stderr; SIGTERM or SIGINT stops it.

  --port P        port to listen on (default 9092)
  --host H        address to listen on (default 127.0.0.1)
  --data-dir DIR  where the logs live (Kafka's log.dirs; default /tmp/gregor-logs)`;

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
}

export function parseServeArgs(argv: string[]): ServeOptions | 'help' {
  const opts: ServeOptions = { port: 9092, host: '127.0.0.1', dataDir: '/tmp/gregor-logs' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === '--port') {
      const v = value();
      const port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be an integer from 0 to 65535, got '${v}'`);
      opts.port = port;
    } else if (arg === '--host') opts.host = value();
    else if (arg === '--data-dir') opts.dataDir = value();
    else throw new UsageError(`unknown option '${arg}'`);
  }
  return opts;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export async function serve(argv: string[]): Promise<void> {
  let opts: ServeOptions | 'help';
  try {
    opts = parseServeArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`gregor serve: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  const log = createLogger();
  mkdirSync(opts.dataDir, { recursive: true });
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info({ host: opts.host, port, dataDir: opts.dataDir }, `listening on ${opts.host}:${port} (protocol handling not implemented yet)`);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
