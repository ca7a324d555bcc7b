import {
  alterBrokerConfigs,
  alterTopicConfigs,
  duplicateResources,
  ResourceType,
  resourceKey,
} from '../cluster/config-admin.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { AlterConfigsRequest } from '../protocol/generated/alter-configs-request.js';
import type { AlterConfigsResponseInput } from '../protocol/generated/alter-configs-response.js';
import type { ApiHandler } from './types.js';

/** AlterConfigs (legacy): each resource's configs are replaced by exactly the ones given. */
export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponseInput> = {
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
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
        const next: Record<string, string> = {};
        for (const c of r.configs) {
          if (c.value === null)
            throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${c.name}`);
          next[c.name] = c.value;
        }
        if (r.resourceType === ResourceType.topic) {
          await alterTopicConfigs(r.resourceName, next, request.validateOnly, metadata, controller);
        } else if (r.resourceType === ResourceType.broker) {
          await alterBrokerConfigs(r.resourceName, next, request.validateOnly, metadata, config);
        } else {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
        }
        responses.push({ ...result, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'alter configs failed');
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
