/**
 * Gregor's embedded API: a broker in this process, for tests and tools.
 *
 *   import { startBroker } from 'gregor';
 *   const broker = await startBroker({ topics: [{ name: 'orders', partitions: 3 }] });
 *   new Kafka({ brokers: [broker.bootstrap] });   // KafkaJS, or any Kafka client
 *   await broker.close();                         // stops it and removes its temp data dir
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminServer, startAdmin } from './admin/server.js';
import { BrokerConfig, brokerConfigDef, checkBrokerConfigValue, ConfigError } from './cluster/config.js';
import { createLogger, type LogFormat, type LogLevel } from './core/log.js';
import { KafkaError } from './errors.js';
import { Broker } from './server/broker.js';

/** A topic to create before startBroker() resolves. */
export interface TopicSpec {
  name: string;
  /** Default: num.partitions (1). */
  partitions?: number;
  /** Topic configs by Kafka's names, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string | number | boolean>;
}

export interface StartBrokerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Data dir (default: a new temp dir, removed on close). A given dir is kept. */
  dataDir?: string;
  /** Topics to create up front. */
  topics?: readonly TopicSpec[];
  /**
   * Any broker setting by its Kafka name (as in server.properties), e.g.
   * { 'auto.create.topics.enable': false, 'admin.listener': '127.0.0.1:0' }. Checked as
   * `gregor serve` checks them: a bad value throws, naming the setting. Kafka's defaults apply,
   * except group.initial.rebalance.delay.ms, which is 0 here (3000 in Kafka and `gregor serve`)
   * so a test's first consumer group forms at once.
   */
  config?: Record<string, string | number | boolean>;
  /** Log level (default 'warn'; logs go to stderr). */
  logLevel?: LogLevel;
  /** Log format (default 'json'). */
  logFormat?: LogFormat;
}

export interface RunningBroker {
  /** host:port for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  /** http://host:port of /metrics, /health and /ready when `admin.listener` is set; else null. */
  readonly adminUrl: string | null;
  /** Stops the broker and removes the temp data dir. Safe to call more than once. */
  close(): Promise<void>;
}

function toStrings(values: Record<string, string | number | boolean> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = String(v);
  return out;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const settings = toStrings(options.config);
  for (const [name, value] of Object.entries(settings)) {
    const d = brokerConfigDef(name);
    const problem = d ? checkBrokerConfigValue(d, value) : `unknown setting (see 'gregor serve --help')`;
    if (problem) throw new ConfigError(`startBroker: ${name}=${value}: ${problem}`);
  }
  const tempDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'gregor-')) : null;
  const dataDir = options.dataDir ?? tempDir!;
  const config = new BrokerConfig({
    listeners: `PLAINTEXT://${host.includes(':') ? `[${host}]` : host}:${options.port ?? 0}`,
    // A test's consumer group should not wait 3 s for more members (Kafka's default, kept by serve).
    'group.initial.rebalance.delay.ms': '0',
    ...settings,
    'log.dirs': dataDir,
  });
  const log = createLogger(options.logLevel ?? 'warn', 'gregor', options.logFormat ?? 'json');
  const broker = new Broker(config, log);
  let admin: AdminServer | null = null;
  const cleanUp = async () => {
    await broker.stop();
    await admin?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    admin = await startAdmin(broker, log);
    await broker.start();
    for (const t of options.topics ?? []) {
      if (broker.services.metadata.topic(t.name)) continue; // kept from an earlier run in dataDir
      await broker.services.controller.createTopic(
        {
          name: t.name,
          numPartitions: t.partitions ?? -1,
          replicationFactor: -1,
          assignments: [],
          configs: toStrings(t.configs),
        },
        false,
      );
    }
  } catch (err) {
    await cleanUp().catch(() => {});
    if (err instanceof KafkaError) throw new ConfigError(`startBroker: ${err.message}`);
    throw err;
  }
  const port = broker.ports[0]!;
  let closing: Promise<void> | null = null;
  return {
    bootstrap: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    dataDir,
    adminUrl: admin?.url ?? null,
    close() {
      closing ??= cleanUp();
      return closing;
    },
  };
}

export { Broker, BrokerConfig, ConfigError };
export type { LogFormat, LogLevel };
