import { ErrorCode } from './protocol/generated/error-codes.js';

/** Kafka's protocol error codes by name; internal failures map to them once, at the handler boundary. */
export { ErrorCode };

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An internal failure that a client caused, carrying the Kafka code to answer with. */
export class KafkaError extends Error {
  override name = 'KafkaError';
  readonly code: number;
  constructor(code: number, message?: string) {
    super(message ?? `Kafka error ${code}`);
    this.code = code;
  }
}

/** The code to answer with for any error thrown below a handler. */
export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
