import { BrokerConfig, ConfigError } from '../cluster/config.js';
import { createLogger } from '../core/log.js';
import { Broker } from '../server/broker.js';

const USAGE = `Usage: gregor serve [--port P] [--host H] [--data-dir DIR] [--override key=value]...

Runs a single-node broker in the foreground. Logs go to stderr; SIGTERM or SIGINT stops it.

  --port P              port to listen on (default 9092; 0 picks a free port)
  --host H              address to listen on (default 127.0.0.1)
  --data-dir DIR        where the logs live (Kafka's log.dirs; default /tmp/gregor-logs)
  --override key=value  any broker config by its Kafka name (repeatable), e.g.
                        --override num.partitions=3 --override auto.create.topics.enable=false`;

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  overrides: Record<string, string>;
}

export function parseServeArgs(argv: string[]): ServeOptions | 'help' {
  const opts: ServeOptions = { port: 9092, host: '127.0.0.1', dataDir: '/tmp/gregor-logs', overrides: {} };
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
    else if (arg === '--override') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) throw new UsageError(`--override needs key=value, got '${v}'`);
      opts.overrides[v.slice(0, eq)] = v.slice(eq + 1);
    } else throw new UsageError(`unknown option '${arg}'`);
  }
  return opts;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The broker config `serve` runs with: the flags, then the overrides (which win). */
export function serveConfig(opts: ServeOptions): BrokerConfig {
  return new BrokerConfig({
    listeners: `PLAINTEXT://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`,
    'log.dirs': opts.dataDir,
    ...opts.overrides,
  });
}

export async function serve(argv: string[]): Promise<void> {
  let opts: ServeOptions | 'help';
  let config: BrokerConfig;
  try {
    opts = parseServeArgs(argv);
    if (opts === 'help') {
      console.log(USAGE);
      return;
    }
    config = serveConfig(opts);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`gregor serve: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const log = createLogger();
  const broker = new Broker(config, log);
  try {
    await broker.start();
  } catch (err) {
    log.fatal({ err }, 'broker failed to start');
    process.exit(1);
  }
  const startupMs = Math.round(process.uptime() * 1000);
  broker.onFirstConnection(() => {
    log.info({ sinceStartMs: Math.round(process.uptime() * 1000) }, 'first connection accepted');
  });
  log.info(
    { host: opts.host, port: broker.ports[0], ports: broker.ports, dataDir: opts.dataDir, startupMs },
    'listening',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    broker.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
