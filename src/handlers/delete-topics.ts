import { ZERO_UUID } from '../cluster/uuid.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.js';
import type {
  DeleteTopicsResponseDeletableTopicResultInput,
  DeleteTopicsResponseInput,
} from '../protocol/generated/delete-topics-response.js';
import type { ApiHandler, RequestContext } from './types.js';

type Result = DeleteTopicsResponseDeletableTopicResultInput;

/** v0-5 name topics in topicNames; v6 in topics, by name or by id. */
function targets(
  request: DeleteTopicsRequest,
  ctx: RequestContext,
): { name: string | null; topicId: string }[] {
  if (ctx.apiVersion < 6) return request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  return request.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponseInput> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 6,
  async handle(request, ctx) {
    const { controller, metadata, config } = ctx.services;
    const responses: Result[] = [];
    for (const t of targets(request, ctx)) {
      const byId = t.topicId !== ZERO_UUID;
      if (byId && t.name !== null) {
        responses.push({
          name: t.name,
          topicId: t.topicId,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'A topic must be named by name or by id, not both.',
        });
        continue;
      }
      const meta = byId ? metadata.topicById(t.topicId) : metadata.topic(t.name ?? '');
      if (!meta) {
        responses.push({
          name: t.name,
          topicId: t.topicId,
          errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
        });
        continue;
      }
      if (!config.bool('delete.topic.enable')) {
        responses.push({
          name: meta.name,
          topicId: meta.topicId,
          errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
          errorMessage: null,
        });
        continue;
      }
      try {
        await controller.deleteTopic(meta.name);
        await dropCommittedOffsets(ctx, meta.name);
        responses.push({
          name: meta.name,
          topicId: meta.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
        });
      } catch (err) {
        if (!(err instanceof KafkaError))
          ctx.services.logger.error({ err, topic: meta.name }, 'delete topic failed');
        responses.push({
          name: meta.name,
          topicId: meta.topicId,
          errorCode: errorCodeOf(err),
          errorMessage: null,
        });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, ctx) {
    return {
      throttleTimeMs: 0,
      responses: targets(request, ctx).map((t) => ({
        name: t.name,
        topicId: t.topicId,
        errorCode,
        errorMessage: null,
      })),
    };
  },
};

/**
 * The topic is already gone, so a failure to write the offset tombstones must not turn the
 * deletion into an error; it is logged, and offset expiry removes the entries later.
 */
async function dropCommittedOffsets(ctx: RequestContext, topic: string): Promise<void> {
  try {
    await ctx.services.groups?.onTopicsDeleted?.([topic]);
  } catch (err) {
    ctx.services.logger.warn(
      { err: String(err), topic },
      'dropping committed offsets of a deleted topic failed',
    );
  }
}
