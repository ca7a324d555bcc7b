import { errorCodeName } from '../protocol/generated/error-codes.js';

/**
 * A failure the user can act on: a broker answered with an error code, a connection failed or
 * timed out, a response was malformed. The CLI prints `message` (never a stack trace) and exits 1.
 */
export class ClientError extends Error {
  override name = 'ClientError';
  /** Kafka's error code when the broker answered with one, else undefined. */
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** Hints for the error codes a CLI user meets most; the rest print Kafka's name only. */
const HINTS: Record<string, string> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'check the name with `gregor topic list`',
  TOPIC_ALREADY_EXISTS: 'pick another name, or pass --if-not-exists',
  INVALID_PARTITIONS:
    'the partition count must be at least 1 (and larger than the current one when altering)',
  INVALID_REPLICATION_FACTOR: 'the replication factor cannot exceed the number of brokers',
  INVALID_CONFIG: 'check the config name and value (`gregor topic describe` shows the current ones)',
  NON_EMPTY_GROUP: 'stop the group’s consumers first',
  GROUP_ID_NOT_FOUND: 'check the name with `gregor group list`',
  UNSUPPORTED_COMPRESSION_TYPE: 'the broker does not accept this codec (zstd needs produce v7+)',
  MESSAGE_TOO_LARGE: 'the batch exceeds the topic’s max.message.bytes',
  OFFSET_OUT_OF_RANGE: 'the offset is outside the partition’s log; use earliest or latest',
};

/** "NAME (code N)" for a Kafka error code. */
export function describeErrorCode(code: number): string {
  const name = errorCodeName(code) ?? 'UNKNOWN';
  return `${name} (code ${code})`;
}

/** A ClientError for a broker error code in context, e.g. `create topic 't': TOPIC_ALREADY_EXISTS ...`. */
export function brokerError(context: string, code: number, message?: string | null): ClientError {
  const name = errorCodeName(code) ?? 'UNKNOWN';
  const hint = HINTS[name];
  let text = `${context}: ${describeErrorCode(code)}`;
  if (message) text += `: ${message}`;
  if (hint) text += ` — ${hint}`;
  return new ClientError(text, code);
}

/** Error codes after which a metadata refresh and a retry may succeed. */
export function isRetriable(code: number): boolean {
  // LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NETWORK_EXCEPTION,
  // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, UNKNOWN_TOPIC_OR_PARTITION (fresh topic)
  return (
    code === 5 ||
    code === 6 ||
    code === 7 ||
    code === 13 ||
    code === 14 ||
    code === 15 ||
    code === 16 ||
    code === 3
  );
}
