import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { updateCrc } from '../../src/protocol/records/batch.js';
import { RecordBatchError, type RecordErrorName } from '../../src/protocol/records/errors.js';
import type { ValidationResult } from '../../src/protocol/records/validate.js';

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** A copy of `batch` changed by `edit`, with the CRC recomputed so only the edit is wrong. */
export function edited(batch: Buffer, edit: (b: Buffer) => void, fixCrc = true): Buffer {
  const copy = Buffer.from(batch);
  edit(copy);
  if (fixCrc) updateCrc(copy, 0, copy.length);
  return copy;
}

export function assertRecordError(err: unknown, name: RecordErrorName): true {
  assert.ok(err instanceof RecordBatchError, `expected RecordBatchError ${name}, got ${String(err)}`);
  assert.equal(err.errorName, name, err.message);
  assert.equal(err.code, ErrorCode[name]);
  return true;
}

export function assertRejected(result: ValidationResult, name: RecordErrorName, pattern?: RegExp): void {
  assert.equal(result.ok, false, `expected ${name}, validation passed`);
  if (result.ok) return;
  assertRecordError(result.error, name);
  if (pattern) assert.match(result.error.message, pattern);
}
