/**
 * Typed errors of the protocol layer.
 *
 * DecodeError: the bytes on the wire are malformed, truncated or exceed a limit. It is always the
 * client's fault; the server answers by closing the connection (or with an error code where the
 * protocol has one). The message names the message and the field path, e.g.
 * `ProduceRequest.topicData[0].partitionData[2].records: length 99999 exceeds remaining 12`.
 *
 * EncodeError: a value handed to an encoder cannot be written at the requested version (a null in a
 * non-nullable field, a non-default value in a non-ignorable field the version lacks, a malformed
 * UUID, a string too long for its length prefix). It is always Gregor's fault.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
  /** What went wrong, without the path. */
  readonly detail: string;
  /** Dotted field path, outermost first (may be empty). */
  path: string;

  constructor(detail: string, field?: string) {
    super(field ? `${field}: ${detail}` : detail);
    this.detail = detail;
    this.path = field ?? '';
  }

  /** Prepends a path segment (a field name, or a field name with an index, or a message name). */
  prefix(segment: string): this {
    this.path = this.path === '' ? segment : `${segment}.${this.path}`;
    this.message = `${this.path}: ${this.detail}`;
    return this;
  }
}

export class EncodeError extends Error {
  override name = 'EncodeError';
}

/**
 * Adds `segment` to the path of a DecodeError passing through a generated decoder and returns it,
 * so generated code can write `catch (e) { throw withPath(e, 'topicData', i); }`. Other errors are
 * returned unchanged (they are bugs and must stay visible as such).
 */
export function withPath(e: unknown, field: string, index?: number): unknown {
  if (e instanceof DecodeError) e.prefix(index === undefined ? field : `${field}[${index}]`);
  return e;
}
