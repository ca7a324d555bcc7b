import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.js';
import type { CreatePartitionsResponseInput } from '../protocol/generated/create-partitions-response.js';
import type { ApiHandler } from './types.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInput> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const { controller } = ctx.services;
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = [];
    for (const t of request.topics) {
      try {
        if ((counts.get(t.name) ?? 0) > 1) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.');
        }
        await controller.createPartitions(
          t.name,
          t.count,
          t.assignments === null ? null : t.assignments.map((a) => a.brokerIds),
          request.validateOnly,
        );
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'create partitions failed');
        results.push({
          name: t.name,
          errorCode: errorCodeOf(err),
          errorMessage: err instanceof KafkaError ? err.message : null,
        });
      }
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })),
    };
  },
};
