/**
 * InitProducerId, apart from the other transaction APIs: every idempotent producer (the default
 * of Kafka's clients) sends it, and needs only a producer id, not the transaction coordinator.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import type { ApiHandler } from '../handlers/types.js';
import type { InitProducerIdRequest } from '../protocol/generated/init-producer-id-request.js';
import type { InitProducerIdResponseInput } from '../protocol/generated/init-producer-id-response.js';
import type { TxnRuntime } from './runtime.js';

export function codeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** Versions before KIP-588 know INVALID_PRODUCER_EPOCH, not PRODUCER_FENCED. */
export function fencedFor(code: number, version: number, firstVersionWithFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : code;
}

export function initProducerIdHandler(
  rt: TxnRuntime,
): ApiHandler<InitProducerIdRequest, InitProducerIdResponseInput> {
  return {
    apiKey: 22,
    name: 'InitProducerId',
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      try {
        const r =
          req.transactionalId === null
            ? // An idempotent producer only needs an id: no coordinator (nor __transaction_state) for it.
              { errorCode: ErrorCode.NONE, producerId: rt.generateProducerId(), producerEpoch: 0 }
            : await (await rt.coordinatorHost())
                .coordinator()
                .initProducerId(
                  req.transactionalId,
                  req.transactionTimeoutMs,
                  req.producerId,
                  req.producerEpoch,
                );
        return {
          throttleTimeMs: 0,
          errorCode: r.errorCode,
          producerId: r.producerId,
          producerEpoch: r.producerEpoch,
        };
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'InitProducerId failed');
        return {
          throttleTimeMs: 0,
          errorCode: fencedFor(codeOf(err), ctx.apiVersion, 4),
          producerId: -1,
          producerEpoch: -1,
        };
      }
    },
  };
}
