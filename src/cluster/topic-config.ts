import { InvalidConfigError } from '../storage/errors.js';
import { type LogConfig, parseLogConfig, TOPIC_CONFIGS } from '../storage/config.js';
import { type BrokerConfig, ConfigSource } from './config.js';

/**
 * Topic configs as DescribeConfigs shows them: the topic's override, else the broker config
 * it falls back to (its synonym, e.g. retention.ms → log.retention.ms), else Kafka's default.
 * The names, types and defaults are the storage engine's TOPIC_CONFIGS.
 */
export interface ResolvedTopicConfig {
  readonly name: string;
  readonly value: string;
  readonly source: number;
  readonly type: string;
  readonly synonyms: readonly { name: string; value: string; source: number }[];
}

/** The broker-level value a topic config defaults to, when the broker sets one. */
function brokerSynonym(
  name: string,
  broker: BrokerConfig,
): { name: string; value: string; source: number } | null {
  const key = TOPIC_CONFIGS[name]?.brokerKey;
  if (!key) return null;
  if (key === 'log.retention.ms' && !broker.isSet(key)) {
    if (!broker.isSet('log.retention.minutes') && !broker.isSet('log.retention.hours')) return null;
    const source = broker.source(
      broker.isSet('log.retention.minutes') ? 'log.retention.minutes' : 'log.retention.hours',
    );
    return { name: key, value: String(broker.retentionMs()), source };
  }
  if (key === 'log.roll.ms' && !broker.isSet(key)) {
    if (!broker.isSet('log.roll.hours')) return null;
    return { name: key, value: String(broker.rollMs()), source: broker.source('log.roll.hours') };
  }
  if (!broker.isSet(key)) return null;
  const value = broker.get(key);
  return value === null ? null : { name: key, value, source: broker.source(key) };
}

export function resolveTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  broker: BrokerConfig,
): ResolvedTopicConfig[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, spec]) => {
    const synonyms: { name: string; value: string; source: number }[] = [];
    const own = overrides[name];
    if (own !== undefined) synonyms.push({ name, value: own, source: ConfigSource.topicConfig });
    const fromBroker = brokerSynonym(name, broker);
    if (fromBroker) synonyms.push(fromBroker);
    const first = synonyms[0];
    return {
      name,
      value: first ? first.value : spec.defaultValue,
      source: first ? first.source : ConfigSource.defaultConfig,
      type: spec.type,
      synonyms,
    };
  });
}

/** The LogConfig a partition's log is opened with. */
export function logConfigFor(overrides: Readonly<Record<string, string>>, broker: BrokerConfig): LogConfig {
  const values: Record<string, string> = {};
  for (const c of resolveTopicConfigs(overrides, broker)) values[c.name] = c.value;
  return parseLogConfig(values, undefined, { unknown: 'ignore' });
}

/** Why these topic config overrides are invalid (Kafka's INVALID_CONFIG message), or null. */
export function checkTopicConfigs(overrides: Readonly<Record<string, string | null>>): string | null {
  for (const [name, value] of Object.entries(overrides)) {
    if (!TOPIC_CONFIGS[name]) return `Unknown topic config name: ${name}`;
    if (value === null) return `Null value not supported for topic configs: ${name}`;
  }
  try {
    parseLogConfig(overrides as Record<string, string>);
    return null;
  } catch (err) {
    if (err instanceof InvalidConfigError) return err.message;
    throw err;
  }
}
