import { resolveTopicConfigs } from '../cluster/topic-config.js';
import { ZERO_UUID } from '../cluster/uuid.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { CreateTopicsRequest } from '../protocol/generated/create-topics-request.js';
import type {
  CreateTopicsResponseCreatableTopicResultInput,
  CreateTopicsResponseInput,
} from '../protocol/generated/create-topics-response.js';
import type { ApiHandler } from './types.js';

function failed(
  name: string,
  errorCode: number,
  errorMessage: string | null,
): CreateTopicsResponseCreatableTopicResultInput {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponseInput> = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 7,
  async handle(request, ctx) {
    const { controller, config } = ctx.services;
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResultInput[] = [];
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        topics.push(failed(t.name, ErrorCode.INVALID_REQUEST, 'Found multiple entries for this topic.'));
        continue;
      }
      try {
        const configs: Record<string, string | null> = {};
        for (const c of t.configs) configs[c.name] = c.value;
        const topic = await controller.createTopic(
          {
            name: t.name,
            numPartitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            assignments: t.assignments,
            configs,
          },
          request.validateOnly,
        );
        topics.push({
          name: t.name,
          topicId: request.validateOnly ? ZERO_UUID : topic.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: topic.partitions.length,
          replicationFactor: topic.partitions[0]?.replicas.length ?? 1,
          configs: resolveTopicConfigs(topic.configs, config).map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: false,
            configSource: c.source,
            isSensitive: false,
          })),
        });
      } catch (err) {
        if (!(err instanceof KafkaError))
          ctx.services.logger.error({ err, topic: t.name }, 'create topic failed');
        topics.push(failed(t.name, errorCodeOf(err), err instanceof KafkaError ? err.message : null));
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => failed(t.name, errorCode, null)) };
  },
};
