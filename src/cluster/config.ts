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

/** Checks a value that already parses as its type; returns why it is refused, or null. */
export type ConfigCheck = (value: string) => string | null;

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as a string; null when Kafka has none. */
  readonly default: string | null;
  /** One line for `gregor serve --help`, the README and DescribeConfigs' documentation. */
  readonly doc: string;
  /** Whether IncrementalAlterConfigs may change it on a running broker (Kafka's dynamic broker configs). */
  readonly dynamic?: boolean;
  readonly sensitive?: boolean;
  /** A check beyond the type (a range, a set of values). */
  readonly check?: ConfigCheck;
  /** A Gregor setting Kafka does not have (it never appears in DescribeConfigs). */
  readonly gregor?: boolean;
}

interface DefExtra {
  dynamic?: boolean;
  sensitive?: boolean;
  check?: ConfigCheck;
  gregor?: boolean;
}

const def = (
  name: string,
  type: ConfigType,
  dflt: string | null,
  doc: string,
  extra: DefExtra = {},
): ConfigDef => ({
  name,
  type,
  default: dflt,
  doc,
  ...extra,
});

/** Refuses numbers below `min`. */
export const atLeast =
  (min: number): ConfigCheck =>
  (v) =>
    Number(v) < min ? `must be at least ${min}` : null;

/** Refuses numbers outside [min, max]. */
export const between =
  (min: number, max: number): ConfigCheck =>
  (v) =>
    Number(v) < min || Number(v) > max ? `must be from ${min} to ${max}` : null;

/** Accepts one of `values` (a list type: each item must be one of them). */
export const oneOf =
  (values: readonly string[], list = false): ConfigCheck =>
  (v) => {
    const items = list ? v.split(',').map((s) => s.trim()) : [v];
    const bad = items.find((s) => !values.includes(s));
    return bad === undefined ? null : `'${bad}' is not one of ${values.join(', ')}`;
  };

const LISTENER = /^[A-Za-z0-9_]+:\/\/(\[[^\]]*\]|[^:,]*):\d+$/;
const checkListeners: ConfigCheck = (v) => {
  for (const entry of v.split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    if (!LISTENER.test(entry)) return `'${entry}' is not NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092)`;
    const port = Number(entry.slice(entry.lastIndexOf(':') + 1));
    if (port > 65535) return `'${entry}' has a port above 65535`;
  }
  return null;
};
const checkHostPort: ConfigCheck = (v) => {
  if (v.trim() === '') return null;
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(v.trim());
  if (!m) return `'${v}' is not host:port (e.g. 127.0.0.1:9644), or empty for off`;
  if (Number(m[2]) > 65535) return `'${v}' has a port above 65535`;
  return null;
};

const COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Every broker setting Gregor reads: Kafka's names and defaults (plus a few of Gregor's own,
 * marked `gregor`). The one source of truth for names, defaults, types, validation and the text
 * of `gregor serve --help`.
 */
export const brokerConfigDefs: readonly ConfigDef[] = [
  // Server basics
  def('node.id', 'int', '1', 'id of this broker in the cluster', { check: atLeast(0) }),
  def('broker.id', 'int', '-1', 'older name of node.id (kept for old config files)'),
  def('process.roles', 'list', 'broker,controller', 'roles of this node; a single node is both', {
    check: oneOf(['broker', 'controller'], true),
  }),
  def('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092', 'where clients connect: NAME://host:port,...', {
    check: checkListeners,
  }),
  def('advertised.listeners', 'list', null, 'addresses given to clients, when not the listeners', {
    check: checkListeners,
  }),
  def(
    'listener.security.protocol.map',
    'string',
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'listener name to security protocol',
  ),
  def('inter.broker.listener.name', 'string', null, 'listener brokers use between themselves', {}),
  def('log.dirs', 'list', null, 'directories holding the partition logs (the first one is used)'),
  def(
    'log.dir',
    'string',
    '/tmp/gregor-logs',
    'data directory when log.dirs is unset (Kafka: /tmp/kafka-logs)',
  ),
  def('num.partitions', 'int', '1', 'partitions of an auto-created topic', { check: atLeast(1) }),
  def('default.replication.factor', 'int', '1', 'replicas of an auto-created topic', { check: atLeast(1) }),
  def('auto.create.topics.enable', 'boolean', 'true', 'create a topic when a client first asks for it'),
  def('delete.topic.enable', 'boolean', 'true', 'allow DeleteTopics'),
  def('message.max.bytes', 'int', '1048588', 'largest record batch a topic accepts', {
    dynamic: true,
    check: atLeast(0),
  }),
  // Network
  def('socket.request.max.bytes', 'int', '104857600', 'largest request; a bigger one closes the connection', {
    check: atLeast(1),
  }),
  def('socket.send.buffer.bytes', 'int', '102400', 'SO_SNDBUF of client sockets (-1: OS default)'),
  def('socket.receive.buffer.bytes', 'int', '102400', 'SO_RCVBUF of client sockets (-1: OS default)', {}),
  def('connections.max.idle.ms', 'long', '600000', 'close connections idle this long', { check: atLeast(1) }),
  def('max.connections', 'int', '2147483647', 'connections accepted at once; more are closed', {
    dynamic: true,
    check: atLeast(0),
  }),
  def('queued.max.requests', 'int', '500', 'requests queued before reading stops', {
    check: atLeast(1),
  }),
  def('request.timeout.ms', 'int', '30000', 'how long a request may wait inside the broker'),
  // Retention and segments
  def('log.retention.hours', 'int', '168', 'keep records this many hours (7 days)', { check: atLeast(-1) }),
  def('log.retention.minutes', 'int', null, 'keep records this many minutes; wins over .hours', {
    check: atLeast(-1),
  }),
  def('log.retention.ms', 'long', null, 'keep records this many ms; wins over .minutes (-1: forever)', {
    dynamic: true,
    check: atLeast(-1),
  }),
  def('log.retention.bytes', 'long', '-1', 'keep at most this many bytes per partition (-1: no limit)', {
    dynamic: true,
  }),
  def('log.retention.check.interval.ms', 'long', '300000', 'how often retention runs', { check: atLeast(1) }),
  def('log.segment.bytes', 'int', '1073741824', 'roll a new segment file at this size', {
    dynamic: true,
    check: atLeast(14),
  }),
  def('log.roll.hours', 'int', '168', 'roll a new segment after this many hours', { check: atLeast(1) }),
  def('log.roll.ms', 'long', null, 'roll a new segment after this many ms; wins over .hours', {
    dynamic: true,
    check: atLeast(1),
  }),
  def('log.index.size.max.bytes', 'int', '10485760', 'largest offset/time index file', {
    dynamic: true,
    check: atLeast(4),
  }),
  def('log.index.interval.bytes', 'int', '4096', 'bytes between offset index entries', {
    dynamic: true,
    check: atLeast(0),
  }),
  def('log.flush.interval.messages', 'long', '9223372036854775807', 'fsync after this many records', {
    dynamic: true,
    check: atLeast(1),
  }),
  def('log.flush.interval.ms', 'long', null, 'fsync after this many ms (unset: leave it to the OS)', {
    dynamic: true,
  }),
  def('log.cleanup.policy', 'list', 'delete', 'delete old segments, or compact by key', {
    dynamic: true,
    check: oneOf(['delete', 'compact'], true),
  }),
  def(
    'log.cleaner.enable',
    'boolean',
    'true',
    'run the log cleaner (compaction of cleanup.policy=compact topics)',
  ),
  def('log.cleaner.backoff.ms', 'long', '15000', 'pause between log cleaner passes', { check: atLeast(0) }),
  def(
    'log.cleaner.dedupe.buffer.size',
    'long',
    '134217728',
    "memory for the cleaner's key -> offset map; a pass maps as much of the dirty log as fits",
    { check: atLeast(1024 * 1024) },
  ),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', 'how long compaction keeps tombstones', {
    dynamic: true,
    check: atLeast(0),
  }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', 'records younger than this are not compacted', {
    dynamic: true,
    check: atLeast(0),
  }),
  def(
    'log.cleaner.max.compaction.lag.ms',
    'long',
    '9223372036854775807',
    'records older than this are compacted soon',
    { dynamic: true, check: atLeast(1) },
  ),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'dirty share of a log that triggers compaction', {
    dynamic: true,
    check: between(0, 1),
  }),
  def(
    'log.message.timestamp.type',
    'string',
    'CreateTime',
    "records keep the producer's time, or get the broker's",
    {
      dynamic: true,
      check: oneOf(['CreateTime', 'LogAppendTime']),
    },
  ),
  def(
    'log.message.timestamp.before.max.ms',
    'long',
    '9223372036854775807',
    'refuse records timestamped this far in the past',
    { dynamic: true, check: atLeast(0) },
  ),
  def('log.message.timestamp.after.max.ms', 'long', '3600000', 'refuse records timestamped this far ahead', {
    dynamic: true,
    check: atLeast(0),
  }),
  def('log.preallocate', 'boolean', 'false', 'preallocate segment files', { dynamic: true }),
  def('log.segment.delete.delay.ms', 'long', '60000', 'wait before deleting a removed segment', {
    dynamic: true,
    check: atLeast(0),
  }),
  def('log.local.retention.ms', 'long', '-2', 'tiered storage: local retention (-2: as log.retention.ms)', {
    dynamic: true,
  }),
  def(
    'log.local.retention.bytes',
    'long',
    '-2',
    'tiered storage: local retention (-2: as log.retention.bytes)',
    {
      dynamic: true,
    },
  ),
  def('compression.type', 'string', 'producer', "codec topics are stored with ('producer': as sent)", {
    dynamic: true,
    check: oneOf(COMPRESSION),
  }),
  // Replication
  def('min.insync.replicas', 'int', '1', 'replicas that must have a write for acks=all', {
    dynamic: true,
    check: atLeast(1),
  }),
  def('unclean.leader.election.enable', 'boolean', 'false', 'let an out-of-sync replica become leader', {
    dynamic: true,
  }),
  def('num.network.threads', 'int', '3', 'Kafka network threads (Gregor runs one event loop)', {
    dynamic: true,
  }),
  def('num.io.threads', 'int', '8', 'Kafka request threads (Gregor runs one event loop)', {
    dynamic: true,
  }),
  def('num.recovery.threads.per.data.dir', 'int', '2', 'logs recovered at once on start', {
    dynamic: true,
    check: atLeast(1),
  }),
  // Groups and offsets
  def('offsets.topic.num.partitions', 'int', '50', 'partitions of __consumer_offsets', { check: atLeast(1) }),
  def(
    'offsets.topic.replication.factor',
    'short',
    '3',
    'replicas of __consumer_offsets (capped by brokers)',
    {
      check: atLeast(1),
    },
  ),
  // Both at least segment.bytes' own minimum, so a bad value stops the broker at start instead of
  // failing the internal topic's creation at the first group or transactional request.
  def(
    'offsets.topic.segment.bytes',
    'int',
    '104857600',
    'segment size of __consumer_offsets (small: faster loads)',
    {
      check: atLeast(1048576),
    },
  ),
  def('transaction.state.log.segment.bytes', 'int', '104857600', 'segment size of __transaction_state', {
    check: atLeast(1048576),
  }),
  def('offsets.retention.minutes', 'int', '10080', 'keep committed offsets of empty groups this long', {
    check: atLeast(1),
  }),
  def('transaction.state.log.num.partitions', 'int', '50', 'partitions of __transaction_state', {
    check: atLeast(1),
  }),
  def('transaction.state.log.replication.factor', 'short', '3', 'replicas of __transaction_state', {
    check: atLeast(1),
  }),
  def('transaction.state.log.min.isr', 'int', '2', 'min.insync.replicas of __transaction_state', {
    check: atLeast(1),
  }),
  def('group.initial.rebalance.delay.ms', 'int', '3000', 'wait for more members before the first rebalance', {
    check: atLeast(0),
  }),
  def('group.min.session.timeout.ms', 'int', '6000', 'smallest session timeout a member may ask for', {
    check: atLeast(0),
  }),
  def('group.max.session.timeout.ms', 'int', '1800000', 'largest session timeout a member may ask for', {
    check: atLeast(0),
  }),
  def('group.max.size', 'int', '2147483647', 'members a classic group may have', { check: atLeast(1) }),
  def('offsets.retention.check.interval.ms', 'long', '600000', 'how often expired offsets are removed', {
    check: atLeast(1),
  }),
  def('offset.metadata.max.bytes', 'int', '4096', 'largest metadata string of a committed offset', {
    check: atLeast(0),
  }),
  def(
    'group.consumer.session.timeout.ms',
    'int',
    '45000',
    'session timeout of consumer-protocol members (KIP-848)',
    {
      check: atLeast(1),
    },
  ),
  def(
    'group.consumer.heartbeat.interval.ms',
    'int',
    '5000',
    'heartbeat interval of consumer-protocol members',
    {
      check: atLeast(1),
    },
  ),
  def('group.consumer.max.size', 'int', '2147483647', 'members a consumer-protocol group may have', {
    check: atLeast(1),
  }),
  def('group.consumer.assignors', 'list', 'uniform,range', 'server-side assignors; the first is the default'),
  def('producer.id.expiration.ms', 'int', '86400000', 'forget an idle producer id after this long', {
    check: atLeast(1),
  }),
  def('transaction.max.timeout.ms', 'int', '900000', 'longest transaction timeout a producer may ask for', {
    check: atLeast(1),
  }),
  def(
    'transactional.id.expiration.ms',
    'int',
    '604800000',
    'forget an idle transactional id after this long',
    {
      check: atLeast(1),
    },
  ),
  def(
    'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    'int',
    '10000',
    'how often transactions past their timeout are aborted',
    { check: atLeast(1) },
  ),
  def(
    'producer.id.expiration.check.interval.ms',
    'int',
    '600000',
    'how often idle producer ids are removed',
    {
      check: atLeast(1),
    },
  ),
  def(
    'transactional.id.expiration.check.interval.ms',
    'int',
    '3600000',
    'how often expired transactional ids are removed (Kafka: transaction.remove.expired.transaction.cleanup.interval.ms)',
    { check: atLeast(1), gregor: true },
  ),
  // Fetch
  def('fetch.max.bytes', 'int', '57671680', 'largest fetch response', { check: atLeast(1024) }),
  def('max.incremental.fetch.session.cache.slots', 'int', '1000', 'incremental fetch sessions kept', {
    check: atLeast(0),
  }),
  def('replica.fetch.max.bytes', 'int', '1048576', 'bytes a follower fetches per partition', {
    check: atLeast(0),
  }),
  def('replica.lag.time.max.ms', 'long', '30000', 'a follower this far behind leaves the ISR', {
    check: atLeast(1),
  }),
  def('producer.purgatory.purge.interval.requests', 'int', '1000', 'Kafka purgatory tuning'),
  def('fetch.purgatory.purge.interval.requests', 'int', '1000', 'Kafka purgatory tuning'),
  // Gregor's own
  def(
    'admin.listener',
    'string',
    '',
    'host:port of the admin HTTP server (/metrics, /health, /ready); empty: off',
    {
      gregor: true,
      check: checkHostPort,
    },
  ),
  def('logger.level', 'string', 'info', 'log level: trace, debug, info, warn, error, fatal, silent', {
    gregor: true,
    check: oneOf(LOG_LEVELS),
  }),
  def('logger.format', 'string', 'auto', 'log format: json, pretty, or auto (pretty on a terminal)', {
    gregor: true,
    check: oneOf(['auto', 'json', 'pretty']),
  }),
];

const defsByName = new Map(brokerConfigDefs.map((d) => [d.name, d]));
/** The settings Kafka has too (DescribeConfigs lists only these). */
const kafkaConfigDefs = brokerConfigDefs.filter((d) => !d.gregor);

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

/** Checks a broker setting's value against its type and its own check; returns why it is refused. */
export function checkBrokerConfigValue(d: ConfigDef, value: string): string | null {
  return checkConfigValue(d.type, value) ?? (d.check ? d.check(value.trim()) : null);
}

/** Broker setting names Gregor does not know (they are kept, and `gregor serve` warns about them). */
export function unknownConfigNames(values: Record<string, string>): string[] {
  return Object.keys(values).filter((k) => !defsByName.has(k));
}

/** The environment variable that sets a broker setting: GREGOR_ and the name upper-cased, dots as underscores. */
export function configEnvName(name: string): string {
  return `GREGOR_${name.toUpperCase().replace(/[.-]/g, '_')}`;
}

/** GREGOR_* variables that are not broker settings: the client tools' default broker address. */
export const ENV_NOT_SETTINGS: ReadonlySet<string> = new Set(['GREGOR_BOOTSTRAP_SERVER']);

/**
 * Broker settings from GREGOR_* environment variables: GREGOR_LOG_RETENTION_HOURS sets
 * log.retention.hours. A variable matching no known setting maps to the lower-cased name with
 * dots (and is then reported as unknown).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Map<string, { name: string; value: string }> {
  const byEnv = new Map(brokerConfigDefs.map((d) => [configEnvName(d.name), d.name]));
  const out = new Map<string, { name: string; value: string }>();
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('GREGOR_') || value === undefined || ENV_NOT_SETTINGS.has(key)) continue;
    const name = byEnv.get(key) ?? key.slice('GREGOR_'.length).toLowerCase().replace(/_/g, '.');
    out.set(key, { name, value });
  }
  return out;
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
        const problem = checkBrokerConfigValue(d, value);
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
    return kafkaConfigDefs.map((d) => ({
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
