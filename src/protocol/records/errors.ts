import { ErrorCode, KafkaError } from '../../errors.js';

/** The Kafka errors the record-batch layer answers with. */
export type RecordErrorName =
  | 'CORRUPT_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'INVALID_TIMESTAMP'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'INVALID_RECORD';

/**
 * A batch or record that cannot be accepted or read: the client's (or the disk's) fault, never
 * Gregor's. `code` is what a Kafka broker answers for the same bytes; `errorName` is its name.
 */
export class RecordBatchError extends KafkaError {
  override name = 'RecordBatchError';
  readonly errorName: RecordErrorName;

  constructor(errorName: RecordErrorName, message: string) {
    super(ErrorCode[errorName], message);
    this.errorName = errorName;
  }
}
