import { InvalidConfigError } from './errors.js';

/**
 * Per-topic log configuration: Kafka's topic-config names, Kafka 4.0 defaults.
 *
 * `LogConfig` is a typed camelCase object (what the storage code reads); `TOPIC_CONFIGS` maps every
 * Kafka name (`segment.bytes`, …) to its field, type, default and bounds. `parseLogConfig` turns the
 * string values of CreateTopics / IncrementalAlterConfigs into a LogConfig (an invalid value throws
 * `InvalidConfigError` naming the key and the reason); `logConfigToKafka` renders a LogConfig back to
 * Kafka's strings for DescribeConfigs.
 *
 * Long.MAX_VALUE ("never", the default of flush.messages, flush.ms, max.compaction.lag.ms …) is
 * held as `LONG_MAX` = Number.MAX_SAFE_INTEGER inside the broker (every comparison against a time or
 * a count still reads "never") and rendered back as "9223372036854775807".
 */

/** Long.MAX_VALUE as the broker holds it (see above). */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
export const LONG_MAX_STRING = '9223372036854775807';
const INT_MAX = 2147483647;

export type CleanupPolicy = 'delete' | 'compact';
export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';
export type CompressionTypeName = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface LogConfig {
  /** segment.bytes: roll the active segment when it would grow past this. Kafka 4.0 min is 1 MiB via configs; the Log accepts any value ≥ 14 (tests). */
  segmentBytes: number;
  /** segment.ms: roll when the first batch of the active segment is older than this (by batch timestamps). */
  segmentMs: number;
  /** segment.jitter.ms: random jitter subtracted from segment.ms, per segment. */
  segmentJitterMs: number;
  /** segment.index.bytes: max size of an offset or time index; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes between two sparse index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete closed segments whose newest timestamp is older (-1 = forever). */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger (-1 = no limit). */
  retentionBytes: number;
  /** cleanup.policy: ['delete'], ['compact'] or both. */
  cleanupPolicy: CleanupPolicy[];
  /** delete.retention.ms: how long tombstones survive compaction. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a log whose dirty part is older than this is compacted regardless of ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: compact when dirty bytes / total bytes reach this. */
  minCleanableDirtyRatio: number;
  /** max.message.bytes: largest record batch accepted (after compression). */
  maxMessageBytes: number;
  /** message.timestamp.type. */
  messageTimestampType: TimestampTypeName;
  /** message.timestamp.before.max.ms: checked by the produce path, kept here as a topic config. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: checked by the produce path, kept here as a topic config. */
  messageTimestampAfterMaxMs: number;
  /** flush.messages: fsync after this many records (LONG_MAX = leave it to the OS). */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed write is this old (LONG_MAX = never). */
  flushMs: number;
  /** file.delete.delay.ms: deleted segments are renamed `.deleted` and removed after this delay. */
  fileDeleteDelayMs: number;
  /** preallocate: accepted and reported; Gregor does not preallocate segment files. */
  preallocate: boolean;
  /** compression.type: the produce path's business; kept as a topic config. */
  compressionType: CompressionTypeName;
  compressionGzipLevel: number;
  compressionLz4Level: number;
  compressionZstdLevel: number;
  /** min.insync.replicas: the replica layer's business; kept as a topic config. */
  minInsyncReplicas: number;
  /** unclean.leader.election.enable: the cluster layer's business; kept as a topic config. */
  uncleanLeaderElectionEnable: boolean;
}

type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

export interface ConfigSpec {
  /** The LogConfig field. */
  field: keyof LogConfig;
  type: ConfigType;
  /** Kafka 4.0 default, as Kafka renders it. */
  defaultValue: string;
  min?: number;
  max?: number;
  /** Allowed values (string/list types). */
  validValues?: readonly string[];
  /** The broker config that provides the cluster-wide default (server.properties). */
  brokerKey?: string;
}

/** Every topic config the storage layer knows, by Kafka name. */
export const TOPIC_CONFIGS: Readonly<Record<string, ConfigSpec>> = {
  'segment.bytes': {
    field: 'segmentBytes',
    type: 'int',
    defaultValue: '1073741824',
    min: 1048576,
    brokerKey: 'log.segment.bytes',
  },
  'segment.ms': {
    field: 'segmentMs',
    type: 'long',
    defaultValue: '604800000',
    min: 1,
    brokerKey: 'log.roll.ms',
  },
  'segment.jitter.ms': {
    field: 'segmentJitterMs',
    type: 'long',
    defaultValue: '0',
    min: 0,
    brokerKey: 'log.roll.jitter.ms',
  },
  'segment.index.bytes': {
    field: 'segmentIndexBytes',
    type: 'int',
    defaultValue: '10485760',
    min: 4,
    brokerKey: 'log.index.size.max.bytes',
  },
  'index.interval.bytes': {
    field: 'indexIntervalBytes',
    type: 'int',
    defaultValue: '4096',
    min: 0,
    brokerKey: 'log.index.interval.bytes',
  },
  'retention.ms': {
    field: 'retentionMs',
    type: 'long',
    defaultValue: '604800000',
    min: -1,
    brokerKey: 'log.retention.ms',
  },
  'retention.bytes': {
    field: 'retentionBytes',
    type: 'long',
    defaultValue: '-1',
    brokerKey: 'log.retention.bytes',
  },
  'cleanup.policy': {
    field: 'cleanupPolicy',
    type: 'list',
    defaultValue: 'delete',
    validValues: ['delete', 'compact'],
    brokerKey: 'log.cleanup.policy',
  },
  'delete.retention.ms': {
    field: 'deleteRetentionMs',
    type: 'long',
    defaultValue: '86400000',
    min: 0,
    brokerKey: 'log.cleaner.delete.retention.ms',
  },
  'min.compaction.lag.ms': {
    field: 'minCompactionLagMs',
    type: 'long',
    defaultValue: '0',
    min: 0,
    brokerKey: 'log.cleaner.min.compaction.lag.ms',
  },
  'max.compaction.lag.ms': {
    field: 'maxCompactionLagMs',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    min: 1,
    brokerKey: 'log.cleaner.max.compaction.lag.ms',
  },
  'min.cleanable.dirty.ratio': {
    field: 'minCleanableDirtyRatio',
    type: 'double',
    defaultValue: '0.5',
    min: 0,
    max: 1,
    brokerKey: 'log.cleaner.min.cleanable.ratio',
  },
  'max.message.bytes': {
    field: 'maxMessageBytes',
    type: 'int',
    defaultValue: '1048588',
    min: 0,
    brokerKey: 'message.max.bytes',
  },
  'message.timestamp.type': {
    field: 'messageTimestampType',
    type: 'string',
    defaultValue: 'CreateTime',
    validValues: ['CreateTime', 'LogAppendTime'],
    brokerKey: 'log.message.timestamp.type',
  },
  'message.timestamp.before.max.ms': {
    field: 'messageTimestampBeforeMaxMs',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    min: 0,
    brokerKey: 'log.message.timestamp.before.max.ms',
  },
  'message.timestamp.after.max.ms': {
    field: 'messageTimestampAfterMaxMs',
    type: 'long',
    defaultValue: '3600000',
    min: 0,
    brokerKey: 'log.message.timestamp.after.max.ms',
  },
  'flush.messages': {
    field: 'flushMessages',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    min: 1,
    brokerKey: 'log.flush.interval.messages',
  },
  'flush.ms': {
    field: 'flushMs',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    min: 0,
    brokerKey: 'log.flush.interval.ms',
  },
  'file.delete.delay.ms': {
    field: 'fileDeleteDelayMs',
    type: 'long',
    defaultValue: '60000',
    min: 0,
    brokerKey: 'log.segment.delete.delay.ms',
  },
  preallocate: { field: 'preallocate', type: 'boolean', defaultValue: 'false', brokerKey: 'log.preallocate' },
  'compression.type': {
    field: 'compressionType',
    type: 'string',
    defaultValue: 'producer',
    validValues: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'],
    brokerKey: 'compression.type',
  },
  'compression.gzip.level': {
    field: 'compressionGzipLevel',
    type: 'int',
    defaultValue: '-1',
    min: -1,
    max: 9,
    brokerKey: 'compression.gzip.level',
  },
  'compression.lz4.level': {
    field: 'compressionLz4Level',
    type: 'int',
    defaultValue: '9',
    min: 1,
    max: 17,
    brokerKey: 'compression.lz4.level',
  },
  'compression.zstd.level': {
    field: 'compressionZstdLevel',
    type: 'int',
    defaultValue: '3',
    min: -131072,
    max: 22,
    brokerKey: 'compression.zstd.level',
  },
  'min.insync.replicas': {
    field: 'minInsyncReplicas',
    type: 'int',
    defaultValue: '1',
    min: 1,
    brokerKey: 'min.insync.replicas',
  },
  'unclean.leader.election.enable': {
    field: 'uncleanLeaderElectionEnable',
    type: 'boolean',
    defaultValue: 'false',
    brokerKey: 'unclean.leader.election.enable',
  },
};

/** Kafka topic-config name of each LogConfig field. */
export const KAFKA_NAME_OF: Readonly<Record<keyof LogConfig, string>> = Object.fromEntries(
  Object.entries(TOPIC_CONFIGS).map(([k, s]) => [s.field, k]),
) as Record<keyof LogConfig, string>;

function parseValue(key: string, spec: ConfigSpec, raw: string): unknown {
  const value = raw.trim();
  const bad = (reason: string): never => {
    throw new InvalidConfigError(key, raw, reason);
  };
  switch (spec.type) {
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(value)) bad(`not an integer`);
      const big = BigInt(value);
      const hi = spec.type === 'int' ? BigInt(INT_MAX) : 9223372036854775807n;
      const lo = spec.type === 'int' ? -BigInt(INT_MAX) - 1n : -9223372036854775808n;
      if (big > hi || big < lo) bad(`out of range for a ${spec.type}`);
      const n = big > BigInt(LONG_MAX) ? LONG_MAX : Number(big);
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) bad(`must be at most ${spec.max}`);
      return n;
    }
    case 'double': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) bad('not a number');
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) bad(`must be at most ${spec.max}`);
      return n;
    }
    case 'boolean': {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') bad('expected true or false');
      return v === 'true';
    }
    case 'string': {
      if (spec.validValues && !spec.validValues.includes(value))
        bad(`must be one of ${spec.validValues.join(', ')}`);
      return value;
    }
    case 'list': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 0) bad('must not be empty');
      for (const it of items) {
        if (spec.validValues && !spec.validValues.includes(it))
          bad(`${it} is not one of ${spec.validValues.join(', ')}`);
      }
      return [...new Set(items)];
    }
  }
}

function buildDefaults(): LogConfig {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(TOPIC_CONFIGS))
    out[spec.field] = parseValue(key, spec, spec.defaultValue);
  return out as unknown as LogConfig;
}

const DEFAULTS: LogConfig = Object.freeze(buildDefaults());

/** A fresh LogConfig with Kafka 4.0's defaults, with `overrides` (typed) applied. */
export function defaultLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULTS, cleanupPolicy: [...DEFAULTS.cleanupPolicy], ...overrides };
}

export interface ParseOptions {
  /**
   * Unknown keys: 'error' (the default, what CreateTopics/AlterConfigs want: INVALID_CONFIG) or
   * 'ignore' (for configs owned by other layers that pass through the same map).
   */
  unknown?: 'error' | 'ignore';
}

/**
 * Parses Kafka-named string values (`{ 'retention.ms': '1000' }`) over `base` (defaults when not
 * given). Throws InvalidConfigError for a value that does not parse or is out of range, and for an
 * unknown key unless `unknown: 'ignore'`. A value of null/undefined resets the key to its default
 * (IncrementalAlterConfigs DELETE).
 */
export function parseLogConfig(
  props: Readonly<Record<string, string | null | undefined>>,
  base: LogConfig = DEFAULTS,
  opts: ParseOptions = {},
): LogConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(props)) {
    const spec = TOPIC_CONFIGS[key];
    if (!spec) {
      if (opts.unknown === 'ignore') continue;
      throw new InvalidConfigError(key, raw ?? undefined, 'unknown topic config');
    }
    out[spec.field] = raw === null || raw === undefined ? DEFAULTS[spec.field] : parseValue(key, spec, raw);
  }
  const config = out as unknown as LogConfig;
  validateLogConfig(config);
  return config;
}

/** Cross-field checks (Kafka's LogConfig.validate): throws InvalidConfigError. */
export function validateLogConfig(c: LogConfig): void {
  if (c.segmentBytes < 14)
    throw new InvalidConfigError('segment.bytes', String(c.segmentBytes), 'must be at least 14');
  if (c.segmentIndexBytes < 12)
    throw new InvalidConfigError(
      'segment.index.bytes',
      String(c.segmentIndexBytes),
      'must hold at least one entry',
    );
  if (c.minCompactionLagMs > c.maxCompactionLagMs)
    throw new InvalidConfigError(
      'min.compaction.lag.ms',
      String(c.minCompactionLagMs),
      'must not be larger than max.compaction.lag.ms',
    );
  if (c.cleanupPolicy.length === 0) throw new InvalidConfigError('cleanup.policy', '', 'must not be empty');
}

function render(spec: ConfigSpec, v: unknown): string {
  if (spec.type === 'list') return (v as string[]).join(',');
  if ((spec.type === 'long' || spec.type === 'int') && v === LONG_MAX) return LONG_MAX_STRING;
  return String(v);
}

/** Renders every topic config as Kafka's strings (DescribeConfigs), with whether it is a default. */
export function logConfigToKafka(c: LogConfig): Array<{ name: string; value: string; isDefault: boolean }> {
  return Object.entries(TOPIC_CONFIGS).map(([name, spec]) => {
    const value = render(spec, c[spec.field]);
    return { name, value, isDefault: value === render(spec, DEFAULTS[spec.field]) };
  });
}

export const isCompacted = (c: LogConfig): boolean => c.cleanupPolicy.includes('compact');
export const isDeleteRetention = (c: LogConfig): boolean => c.cleanupPolicy.includes('delete');
