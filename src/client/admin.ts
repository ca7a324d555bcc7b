import { ApiKey } from '../protocol/generated/apis.js';
import type { CreatePartitionsResponse } from '../protocol/generated/create-partitions-response.js';
import type { CreateTopicsResponse } from '../protocol/generated/create-topics-response.js';
import type { DeleteTopicsResponse } from '../protocol/generated/delete-topics-response.js';
import type { DescribeConfigsResponse } from '../protocol/generated/describe-configs-response.js';
import type { IncrementalAlterConfigsResponse } from '../protocol/generated/incremental-alter-configs-response.js';
import type { ListOffsetsResponse } from '../protocol/generated/list-offsets-response.js';
import type { KafkaClient } from './client.js';
import { brokerError, ClientError } from './errors.js';

/** Kafka's ConfigResource types. */
export const ResourceType = { topic: 2, broker: 4 } as const;
/** IncrementalAlterConfigs operations. */
export const ConfigOp = { set: 0, delete: 1 } as const;
/** ListOffsets special timestamps. */
export const OffsetSpec = { latest: -1, earliest: -2 } as const;

const ADMIN_TIMEOUT_MS = 30_000;

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface CreateTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export async function createTopics(
  client: KafkaClient,
  topics: readonly NewTopic[],
): Promise<CreateTopicResult[]> {
  const conn = await client.any();
  const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor,
      assignments: [],
      configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: ADMIN_TIMEOUT_MS,
    validateOnly: false,
  });
  return res.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage }));
}

export async function deleteTopics(
  client: KafkaClient,
  names: readonly string[],
): Promise<{ name: string; errorCode: number; errorMessage: string | null }[]> {
  const conn = await client.any();
  const version = conn.version(ApiKey.DeleteTopics);
  const res = await conn.request<DeleteTopicsResponse>(
    ApiKey.DeleteTopics,
    version >= 6
      ? { topics: names.map((name) => ({ name })), timeoutMs: ADMIN_TIMEOUT_MS }
      : { topicNames: names, timeoutMs: ADMIN_TIMEOUT_MS },
    { version },
  );
  return res.responses.map((r) => ({
    name: r.name ?? '',
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
  }));
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
  source: number;
}

/** The configs of one topic (or broker, with ResourceType.broker and its id as name). */
export async function describeConfigs(
  client: KafkaClient,
  resourceType: number,
  name: string,
): Promise<ConfigEntry[]> {
  const conn = await client.any();
  const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
    resources: [{ resourceType, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const r = res.results[0];
  if (!r) throw new ClientError(`DescribeConfigs for '${name}' returned no result`);
  if (r.errorCode !== 0) throw brokerError(`describe configs of '${name}'`, r.errorCode, r.errorMessage);
  return r.configs.map((c) => ({
    name: c.name,
    value: c.value,
    // configSource 5 = DEFAULT_CONFIG (v1+); v0 has isDefault.
    isDefault: c.isDefault || c.configSource === 5,
    readOnly: c.readOnly,
    isSensitive: c.isSensitive,
    source: c.configSource,
  }));
}

export async function alterTopicConfigs(
  client: KafkaClient,
  topic: string,
  set: Record<string, string>,
  remove: readonly string[],
): Promise<void> {
  const conn = await client.any();
  const res = await conn.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
    resources: [
      {
        resourceType: ResourceType.topic,
        resourceName: topic,
        configs: [
          ...Object.entries(set).map(([name, value]) => ({ name, configOperation: ConfigOp.set, value })),
          ...remove.map((name) => ({ name, configOperation: ConfigOp.delete, value: null })),
        ],
      },
    ],
    validateOnly: false,
  });
  const r = res.responses[0];
  if (r && r.errorCode !== 0)
    throw brokerError(`alter configs of topic '${topic}'`, r.errorCode, r.errorMessage);
}

export async function createPartitions(client: KafkaClient, topic: string, count: number): Promise<void> {
  const conn = await client.any();
  const res = await conn.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
    topics: [{ name: topic, count, assignments: null }],
    timeoutMs: ADMIN_TIMEOUT_MS,
    validateOnly: false,
  });
  const r = res.results[0];
  if (r && r.errorCode !== 0)
    throw brokerError(`add partitions to topic '${topic}'`, r.errorCode, r.errorMessage);
}

/**
 * The offset for `timestamp` (OffsetSpec.latest / earliest, or a time in ms: the first offset
 * whose timestamp is at least it, or -1 when there is none) of each partition, asking each leader.
 */
export async function listOffsets(
  client: KafkaClient,
  topic: string,
  partitions: readonly number[],
  timestamp: number | ((partition: number) => number),
): Promise<Map<number, number>> {
  const info = await client.topic(topic);
  const byLeader = new Map<number, number[]>();
  for (const p of partitions) {
    const pi = info.partitions.find((x) => x.partition === p);
    if (!pi)
      throw new ClientError(`topic '${topic}' has no partition ${p} (it has ${info.partitions.length})`);
    const list = byLeader.get(pi.leader) ?? [];
    list.push(p);
    byLeader.set(pi.leader, list);
  }
  const out = new Map<number, number>();
  await Promise.all(
    [...byLeader].map(async ([leader, parts]) => {
      const conn = await client.broker(leader);
      const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic,
            partitions: parts.map((p) => ({
              partitionIndex: p,
              timestamp: typeof timestamp === 'function' ? timestamp(p) : timestamp,
              maxNumOffsets: 1,
            })),
          },
        ],
      });
      for (const t of res.topics)
        for (const p of t.partitions) {
          if (p.errorCode !== 0)
            throw brokerError(`list offsets of ${topic}-${p.partitionIndex}`, p.errorCode);
          out.set(p.partitionIndex, p.oldStyleOffsets.length > 0 ? p.oldStyleOffsets[0]! : p.offset);
        }
    }),
  );
  return out;
}
