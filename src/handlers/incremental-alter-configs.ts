import {
  alterBrokerConfigs,
  alterTopicConfigs,
  applyIncremental,
  duplicateResources,
  ResourceType,
  resourceKey,
} from '../cluster/config-admin.js';
import { brokerConfigDef } from '../cluster/config.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { IncrementalAlterConfigsRequest } from '../protocol/generated/incremental-alter-configs-request.js';
import type { IncrementalAlterConfigsResponseInput } from '../protocol/generated/incremental-alter-configs-response.js';
import { TOPIC_CONFIGS } from '../storage/config.js';
import type { ApiHandler } from './types.js';

/** IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on individual keys. */
export const incrementalAlterConfigsHandler: ApiHandler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponseInput
> = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const { metadata, config, controller } = ctx.services;
    const duplicates = duplicateResources(request.resources);
    const responses = [];
    for (const r of request.resources) {
      const result = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        if (duplicates.has(resourceKey(r))) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate resources');
        }
        if (r.resourceType === ResourceType.topic) {
          const topic = metadata.topic(r.resourceName);
          if (!topic) {
            throw new KafkaError(
              ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              `Topic ${r.resourceName} does not exist`,
            );
          }
          const next = applyIncremental(
            topic.configs,
            r.configs,
            (n) => TOPIC_CONFIGS[n]?.type,
            (n) => TOPIC_CONFIGS[n]?.defaultValue ?? null,
          );
          await alterTopicConfigs(r.resourceName, next, request.validateOnly, metadata, controller);
        } else if (r.resourceType === ResourceType.broker) {
          const next = applyIncremental(
            config.dynamicValues(),
            r.configs,
            (n) => brokerConfigDef(n)?.type,
            (n) => config.get(n),
          );
          await alterBrokerConfigs(r.resourceName, next, request.validateOnly, metadata, config);
        } else if (r.resourceType === ResourceType.brokerLogger) {
          // Log levels are not adjustable at runtime yet; accept as a no-op like an unchanged logger.
        } else {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
        }
        responses.push({ ...result, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaError))
          ctx.services.logger.error({ err }, 'incremental alter configs failed');
        responses.push({
          ...result,
          errorCode: errorCodeOf(err),
          errorMessage: err instanceof KafkaError ? err.message : null,
        });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r) => ({
        errorCode,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      })),
    };
  },
};
