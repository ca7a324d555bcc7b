/**
 * Gregor's embedded API: a broker in this process, for tests and tools.
 *
 *   const broker = await startBroker();            // port 0: a free port; a temp data dir
 *   new Kafka({ brokers: [broker.bootstrap] });
 *   await broker.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from './cluster/config.js';
import { createLogger, type LogLevel } from './core/log.js';
import { Broker } from './server/broker.js';

export interface StartBrokerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  host?: string;
  /** Data dir (default: a new temp dir, removed on close). */
  dataDir?: string;
  /** Any broker config by its Kafka name. */
  config?: Record<string, string>;
  logLevel?: LogLevel;
}

export interface RunningBroker {
  /** host:port for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  close(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const tempDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'gregor-')) : null;
  const dataDir = options.dataDir ?? tempDir!;
  const config = new BrokerConfig({
    listeners: `PLAINTEXT://${host}:${options.port ?? 0}`,
    'log.dirs': dataDir,
    ...options.config,
  });
  const broker = new Broker(config, createLogger(options.logLevel ?? 'warn'));
  await broker.start();
  const port = broker.ports[0]!;
  return {
    bootstrap: `${host}:${port}`,
    port,
    dataDir,
    async close() {
      await broker.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export { Broker, BrokerConfig };
