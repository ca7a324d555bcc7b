/**
 * Broker configuration by Kafka's property names, with Kafka's defaults. Values are kept as
 * Kafka writes them (strings) so DescribeConfigs can return them verbatim; typed getters parse
 * them once. Where a value came from (default, static, dynamic) is kept for DescribeConfigs.
 */

export type ConfigType =
  | 'boolean'
  | 'string'
  | 'int'
  | 'short'
  | 'long'
  | 'double'
  | 'list'
  | 'class'
  | 'password';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as a string; null when Kafka has none. */
  readonly default: string | null;
  /** Whether IncrementalAlterConfigs may change it on a running broker (Kafka's dynamic broker configs). */
  readonly dynamic?: boolean;
  readonly sensitive?: boolean;
}

const def = (
  name: string,
  type: ConfigType,
  dflt: string | null,
  extra: { dynamic?: boolean; sensitive?: boolean } = {},
): ConfigDef => ({ name, type, default: dflt, ...extra });

/** The broker configs Gregor knows, Kafka's names and defaults. */
export const brokerConfigDefs: readonly ConfigDef[] = [
  def('node.id', 'int', '1'),
  def('broker.id', 'int', '-1'),
  def('process.roles', 'list', 'broker,controller'),
  def('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092'),
  def('advertised.listeners', 'list', null),
  def(
    'listener.security.protocol.map',
    'string',
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  ),
  def('inter.broker.listener.name', 'string', null),
  def('log.dirs', 'list', null),
  def('log.dir', 'string', '/tmp/kafka-logs'),
  def('num.partitions', 'int', '1'),
  def('default.replication.factor', 'int', '1'),
  def('auto.create.topics.enable', 'boolean', 'true'),
  def('delete.topic.enable', 'boolean', 'true'),
  def('message.max.bytes', 'int', '1048588', { dynamic: true }),
  def('socket.request.max.bytes', 'int', '104857600'),
  def('socket.send.buffer.bytes', 'int', '102400'),
  def('socket.receive.buffer.bytes', 'int', '102400'),
  def('connections.max.idle.ms', 'long', '600000'),
  def('max.connections', 'int', '2147483647', { dynamic: true }),
  def('queued.max.requests', 'int', '500'),
  def('request.timeout.ms', 'int', '30000'),
  def('log.retention.hours', 'int', '168'),
  def('log.retention.minutes', 'int', null),
  def('log.retention.ms', 'long', null, { dynamic: true }),
  def('log.retention.bytes', 'long', '-1', { dynamic: true }),
  def('log.retention.check.interval.ms', 'long', '300000'),
  def('log.segment.bytes', 'int', '1073741824', { dynamic: true }),
  def('log.roll.hours', 'int', '168'),
  def('log.roll.ms', 'long', null, { dynamic: true }),
  def('log.index.size.max.bytes', 'int', '10485760', { dynamic: true }),
  def('log.index.interval.bytes', 'int', '4096', { dynamic: true }),
  def('log.flush.interval.messages', 'long', '9223372036854775807', { dynamic: true }),
  def('log.flush.interval.ms', 'long', null, { dynamic: true }),
  def('log.cleanup.policy', 'list', 'delete', { dynamic: true }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', { dynamic: true }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', { dynamic: true }),
  def('log.cleaner.max.compaction.lag.ms', 'long', '9223372036854775807', { dynamic: true }),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', { dynamic: true }),
  def('log.message.timestamp.type', 'string', 'CreateTime', { dynamic: true }),
  def('log.message.timestamp.before.max.ms', 'long', '9223372036854775807', { dynamic: true }),
  def('log.message.timestamp.after.max.ms', 'long', '3600000', { dynamic: true }),
  def('log.preallocate', 'boolean', 'false', { dynamic: true }),
  def('log.segment.delete.delay.ms', 'long', '60000', { dynamic: true }),
  def('log.local.retention.ms', 'long', '-2', { dynamic: true }),
  def('log.local.retention.bytes', 'long', '-2', { dynamic: true }),
  def('compression.type', 'string', 'producer', { dynamic: true }),
  def('min.insync.replicas', 'int', '1', { dynamic: true }),
  def('unclean.leader.election.enable', 'boolean', 'false', { dynamic: true }),
  def('num.network.threads', 'int', '3', { dynamic: true }),
  def('num.io.threads', 'int', '8', { dynamic: true }),
  def('num.recovery.threads.per.data.dir', 'int', '2', { dynamic: true }),
  def('offsets.topic.num.partitions', 'int', '50'),
  def('offsets.topic.replication.factor', 'short', '3'),
  def('offsets.retention.minutes', 'int', '10080'),
  def('transaction.state.log.num.partitions', 'int', '50'),
  def('transaction.state.log.replication.factor', 'short', '3'),
  def('transaction.state.log.min.isr', 'int', '2'),
  def('group.initial.rebalance.delay.ms', 'int', '3000'),
  def('group.min.session.timeout.ms', 'int', '6000'),
  def('group.max.session.timeout.ms', 'int', '1800000'),
  def('fetch.max.bytes', 'int', '57671680'),
  def('max.incremental.fetch.session.cache.slots', 'int', '1000'),
  def('replica.fetch.max.bytes', 'int', '1048576'),
  def('replica.lag.time.max.ms', 'long', '30000'),
  def('producer.purgatory.purge.interval.requests', 'int', '1000'),
  def('fetch.purgatory.purge.interval.requests', 'int', '1000'),
];

const defsByName = new Map(brokerConfigDefs.map((d) => [d.name, d]));

export function brokerConfigDef(name: string): ConfigDef | undefined {
  return defsByName.get(name);
}

/** DescribeConfigs' ConfigSource values (Kafka's DescribeConfigsResponse). */
export const ConfigSource = {
  unknown: 0,
  topicConfig: 1,
  dynamicBrokerConfig: 2,
  dynamicDefaultBrokerConfig: 3,
  staticBrokerConfig: 4,
  defaultConfig: 5,
} as const;

/** DescribeConfigs' ConfigType values (KIP-569). */
export const ConfigTypeCode: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Checks that `value` parses as `type`; returns a message when it does not. */
export function checkConfigValue(type: ConfigType, value: string): string | null {
  switch (type) {
    case 'boolean':
      return value === 'true' || value === 'false' ? null : `'${value}' is not a boolean`;
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) return `'${value}' is not an integer`;
      const n = Number(value);
      if (type === 'int' && (n < -2147483648 || n > 2147483647)) return `'${value}' is out of int range`;
      if (type === 'short' && (n < -32768 || n > 32767)) return `'${value}' is out of short range`;
      return null;
    }
    case 'double':
      return Number.isFinite(Number(value)) && value.trim() !== '' ? null : `'${value}' is not a number`;
    default:
      return null;
  }
}

export interface ConfigEntryView {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly def: ConfigDef;
}

/**
 * The broker's configuration: defaults, then static values (flags, overrides, later the
 * config file), then dynamic values set at runtime through the Admin API.
 */
export class BrokerConfig {
  readonly #static = new Map<string, string>();
  readonly #dynamic = new Map<string, string>();

  constructor(values: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(values)) {
      const d = defsByName.get(name);
      if (d) {
        const problem = checkConfigValue(d.type, value);
        if (problem) throw new ConfigError(`${name}: ${problem}`);
      }
      this.#static.set(name, value);
    }
  }

  /** The effective value as a string, or null when unset and without default. */
  get(name: string): string | null {
    return this.#dynamic.get(name) ?? this.#static.get(name) ?? defsByName.get(name)?.default ?? null;
  }

  source(name: string): number {
    if (this.#dynamic.has(name)) return ConfigSource.dynamicBrokerConfig;
    if (this.#static.has(name)) return ConfigSource.staticBrokerConfig;
    return ConfigSource.defaultConfig;
  }

  /** True when the value is set explicitly (not Kafka's default). */
  isSet(name: string): boolean {
    return this.#dynamic.has(name) || this.#static.has(name);
  }

  int(name: string): number {
    const v = this.get(name);
    if (v === null) throw new ConfigError(`${name} has no value`);
    const n = Number(v);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}: '${v}' is not a number`);
    return n;
  }

  intOrNull(name: string): number | null {
    const v = this.get(name);
    return v === null ? null : Number(v);
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  list(name: string): string[] {
    const v = this.get(name);
    if (v === null || v.trim() === '') return [];
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  setDynamic(name: string, value: string | null): void {
    if (value === null) this.#dynamic.delete(name);
    else this.#dynamic.set(name, value);
  }

  dynamicValues(): Record<string, string> {
    return Object.fromEntries(this.#dynamic);
  }

  /** Every known config with its effective value and source, for DescribeConfigs. */
  entries(): ConfigEntryView[] {
    return brokerConfigDefs.map((d) => ({
      name: d.name,
      value: this.get(d.name),
      source: this.source(d.name),
      def: d,
    }));
  }

  /** log.retention.ms, then .minutes, then .hours, as Kafka resolves it. */
  retentionMs(): number {
    const ms = this.intOrNull('log.retention.ms');
    if (ms !== null) return ms;
    const minutes = this.intOrNull('log.retention.minutes');
    if (minutes !== null) return minutes * 60_000;
    return this.int('log.retention.hours') * 3_600_000;
  }

  /** log.roll.ms, then log.roll.hours. */
  rollMs(): number {
    return this.intOrNull('log.roll.ms') ?? this.int('log.roll.hours') * 3_600_000;
  }

  /** log.dirs, then log.dir, as Kafka resolves it. */
  logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.get('log.dir')!];
  }

  nodeId(): number {
    return this.int('node.id');
  }
}
