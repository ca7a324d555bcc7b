import { ErrorCode, KafkaError } from '../errors.js';
import { TOPIC_CONFIGS } from '../storage/config.js';
import {
  type BrokerConfig,
  brokerConfigDef,
  checkBrokerConfigValue,
  ConfigSource,
  ConfigTypeCode,
} from './config.js';
import { checkTopicName, type Controller } from './controller.js';
import type { MetadataStore } from './metadata-store.js';
import { checkTopicConfigs, resolveTopicConfigs } from './topic-config.js';

/** DescribeConfigs/AlterConfigs resource types. */
export const ResourceType = {
  unknown: 0,
  any: 1,
  topic: 2,
  group: 32,
  broker: 4,
  brokerLogger: 8,
  clientMetrics: 16,
} as const;

/** IncrementalAlterConfigs operations. */
export const ConfigOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

/** What one alteration asks for: a key set to a value, or removed (null). */
export type ConfigChanges = Map<string, string | null>;

/** The configs DescribeConfigs returns for one resource; throws KafkaError for a bad resource. */
export function describeResource(
  type: number,
  name: string,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
  store: MetadataStore,
  broker: BrokerConfig,
): DescribedConfig[] {
  const wanted = (n: string) => keys === null || keys.includes(n);
  if (type === ResourceType.topic) {
    const problem = checkTopicName(name);
    if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    const topic = store.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    return resolveTopicConfigs(topic.configs, broker)
      .filter((c) => wanted(c.name))
      .map((c) => {
        const spec = TOPIC_CONFIGS[c.name]!;
        const synonyms = includeSynonyms
          ? [
              ...c.synonyms,
              ...(spec.brokerKey
                ? [{ name: spec.brokerKey, value: spec.defaultValue, source: ConfigSource.defaultConfig }]
                : []),
            ]
          : [];
        return {
          name: c.name,
          value: c.value,
          readOnly: false,
          // IsDefault exists only in v0, which Kafka 4.0 no longer serves; the source says it.
          isDefault: false,
          configSource: c.source,
          isSensitive: false,
          synonyms,
          configType: ConfigTypeCode[c.type as keyof typeof ConfigTypeCode] ?? 0,
          documentation: null,
        };
      });
  }
  if (type === ResourceType.broker) {
    checkBrokerResource(name, broker);
    const dynamicDefaultsOnly = name === '';
    return broker
      .entries()
      .filter((e) => wanted(e.name))
      .filter((e) => !dynamicDefaultsOnly || e.source === ConfigSource.dynamicBrokerConfig)
      .map((e) => {
        const synonyms: { name: string; value: string | null; source: number }[] = [];
        if (includeSynonyms) {
          if (e.source !== ConfigSource.defaultConfig)
            synonyms.push({ name: e.name, value: e.value, source: e.source });
          if (e.def.default !== null)
            synonyms.push({ name: e.name, value: e.def.default, source: ConfigSource.defaultConfig });
        }
        return {
          name: e.name,
          value: e.def.sensitive ? null : e.value,
          readOnly: !e.def.dynamic,
          isDefault: false,
          configSource: e.source,
          isSensitive: e.def.sensitive === true,
          synonyms,
          configType: ConfigTypeCode[e.def.type],
          documentation: null,
        };
      });
  }
  if (type === ResourceType.brokerLogger) {
    checkBrokerResource(name, broker);
    return [];
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${type}`);
}

function checkBrokerResource(name: string, broker: BrokerConfig): void {
  if (name === '') return;
  if (!/^-?\d+$/.test(name))
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, got ${name}`);
  if (Number(name) !== broker.nodeId()) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Unexpected broker id, expected ${broker.nodeId()} or empty string, but received ${name}`,
    );
  }
}

/** Applies IncrementalAlterConfigs operations to `current`, as Kafka does; throws KafkaError. */
export function applyIncremental(
  current: Readonly<Record<string, string>>,
  ops: readonly { name: string; configOperation: number; value: string | null }[],
  typeOf: (name: string) => string | undefined,
  defaultOf: (name: string) => string | null,
): Record<string, string> {
  const seen = new Set<string>();
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    if (seen.has(op.name))
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${op.name}`);
    seen.add(op.name);
    const type = typeOf(op.name);
    if (type === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown config name: ${op.name}`);
    switch (op.configOperation) {
      case ConfigOperation.set:
        if (op.value === null)
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${op.name}`);
        next[op.name] = op.value;
        break;
      case ConfigOperation.delete:
        delete next[op.name];
        break;
      case ConfigOperation.append:
      case ConfigOperation.subtract: {
        if (type !== 'list') {
          throw new KafkaError(
            ErrorCode.INVALID_CONFIG,
            `Config value append is not allowed for config key: ${op.name}`.replace(
              'append',
              op.configOperation === ConfigOperation.append ? 'append' : 'subtract',
            ),
          );
        }
        const base = (next[op.name] ?? defaultOf(op.name) ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const values = (op.value ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const result =
          op.configOperation === ConfigOperation.append
            ? [...base, ...values.filter((v) => !base.includes(v))]
            : base.filter((v) => !values.includes(v));
        next[op.name] = result.join(',');
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.configOperation}`);
    }
  }
  return next;
}

/** Checks and (unless validateOnly) applies new topic overrides. */
export async function alterTopicConfigs(
  name: string,
  next: Record<string, string>,
  validateOnly: boolean,
  store: MetadataStore,
  controller: Controller,
): Promise<void> {
  const problem = checkTopicName(name);
  if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  if (!store.topic(name))
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
  const configProblem = checkTopicConfigs(next);
  if (configProblem) throw new KafkaError(ErrorCode.INVALID_CONFIG, configProblem);
  if (!validateOnly) await controller.setTopicConfigs(name, next);
}

/** Checks and (unless validateOnly) applies new dynamic broker configs. */
export async function alterBrokerConfigs(
  name: string,
  next: Record<string, string>,
  validateOnly: boolean,
  store: MetadataStore,
  broker: BrokerConfig,
): Promise<void> {
  checkBrokerResource(name, broker);
  for (const [k, v] of Object.entries(next)) {
    const def = brokerConfigDef(k);
    if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown broker config: ${k}`);
    if (!def.dynamic)
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Cannot update these configs dynamically: Set(${k})`);
    const bad = checkBrokerConfigValue(def, v);
    if (bad)
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${v} for configuration ${k}: ${bad}`);
  }
  if (validateOnly) return;
  const previous = broker.dynamicValues();
  for (const k of Object.keys(previous)) if (!(k in next)) broker.setDynamic(k, null);
  for (const [k, v] of Object.entries(next)) broker.setDynamic(k, v);
  await store.setBrokerConfigs(next);
}

/**
 * Keys (`type\0name`) of the resources named more than once in one request: Kafka answers each
 * of them INVALID_REQUEST instead of applying either.
 */
export function duplicateResources(
  resources: readonly { resourceType: number; resourceName: string }[],
): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r);
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return dup;
}

export function resourceKey(r: { resourceType: number; resourceName: string }): string {
  return `${r.resourceType}\0${r.resourceName}`;
}
