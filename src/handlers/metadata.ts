import { checkTopicName } from '../cluster/controller.js';
import type { TopicMetadata } from '../cluster/metadata-store.js';
import { ZERO_UUID } from '../cluster/uuid.js';
import { ErrorCode, errorCodeOf } from '../errors.js';
import type { ApiHandler, RequestContext } from './types.js';

interface MetadataRequest {
  topics: { topicId?: string; name: string | null }[] | null;
  allowAutoTopicCreation?: boolean;
  includeTopicAuthorizedOperations?: boolean;
}

interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

interface MetadataResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  topicAuthorizedOperations: number;
}

interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseTopic[];
  clusterAuthorizedOperations: number;
}

/** Kafka's "not requested" value for authorized-operations fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Without an authorizer every topic operation is allowed: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const ALL_TOPIC_OPERATIONS =
  (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

/** The broker list as the client's listener advertises it. */
export function brokersFor(
  ctx: RequestContext,
): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const { advertisedListeners, replicas } = ctx.services;
  const l = advertisedListeners.find((a) => a.name === ctx.listenerName) ?? advertisedListeners[0];
  return l ? [{ nodeId: replicas.nodeId, host: l.host, port: l.port, rack: null }] : [];
}

function topicEntry(t: TopicMetadata, includeOps: boolean): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.replicas],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: includeOps ? ALL_TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function errorEntry(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx) {
    const { metadata, config, controller } = ctx.services;
    const includeOps = request.includeTopicAuthorizedOperations === true;
    const topics: MetadataResponseTopic[] = [];
    // v0: an empty list means every topic; v1+: null means every topic.
    const all = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0);
    if (all) {
      for (const t of metadata.topics()) topics.push(topicEntry(t, includeOps));
    } else {
      const allowAutoCreate =
        (ctx.apiVersion < 4 || request.allowAutoTopicCreation !== false) &&
        config.bool('auto.create.topics.enable');
      for (const req of request.topics ?? []) {
        const byId = req.topicId !== undefined && req.topicId !== ZERO_UUID;
        if (byId && req.name !== null) {
          topics.push(errorEntry(req.name, req.topicId!, ErrorCode.INVALID_REQUEST));
          continue;
        }
        if (byId) {
          const t = metadata.topicById(req.topicId!);
          topics.push(
            t ? topicEntry(t, includeOps) : errorEntry(null, req.topicId!, ErrorCode.UNKNOWN_TOPIC_ID),
          );
          continue;
        }
        const name = req.name ?? '';
        const existing = metadata.topic(name);
        if (existing) {
          topics.push(topicEntry(existing, includeOps));
          continue;
        }
        if (checkTopicName(name) !== null) {
          topics.push(errorEntry(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
          continue;
        }
        if (!allowAutoCreate) {
          topics.push(errorEntry(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        try {
          const created = await controller.createTopic(
            { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} },
            false,
          );
          topics.push(topicEntry(created, includeOps));
        } catch (err) {
          const code = errorCodeOf(err);
          // Two requests racing to auto-create the same topic: the loser sees the winner's topic.
          const now = code === ErrorCode.TOPIC_ALREADY_EXISTS ? metadata.topic(name) : undefined;
          topics.push(now ? topicEntry(now, includeOps) : errorEntry(name, ZERO_UUID, code));
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: brokersFor(ctx),
      clusterId: metadata.clusterId,
      controllerId: ctx.services.replicas.nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};
