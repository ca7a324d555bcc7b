import { describeResource } from '../cluster/config-admin.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { DescribeConfigsRequest } from '../protocol/generated/describe-configs-request.js';
import type { DescribeConfigsResponseInput } from '../protocol/generated/describe-configs-response.js';
import type { ApiHandler } from './types.js';

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponseInput> = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  handle(request, ctx) {
    const { metadata, config } = ctx.services;
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => {
        try {
          const configs = describeResource(
            r.resourceType,
            r.resourceName,
            r.configurationKeys,
            request.includeSynonyms,
            metadata,
            config,
          );
          return {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs,
          };
        } catch (err) {
          if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'describe configs failed');
          return {
            errorCode: errorCodeOf(err),
            errorMessage: err instanceof KafkaError ? err.message : null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [],
          };
        }
      }),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => ({
        errorCode,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: [],
      })),
    };
  },
};
