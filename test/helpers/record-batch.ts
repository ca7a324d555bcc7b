/**
 * Deterministic filler batches for the storage tests, built with the production builder
 * (src/protocol/records/builder.ts): what this adds is the filler pattern, reproducible from its
 * arguments (the crash test rebuilds a child's batches from the seed to compare bytes).
 */
import { buildBatchSync } from '../../src/protocol/records/builder.js';

/** A batch of `count` records whose values are `payloadBytes` of filler, keys `k<seed + i>`, timestamps baseTimestamp + i. */
export function fillerBatch(
  count: number,
  payloadBytes: number,
  baseTimestamp = 1_700_000_000_000,
  seed = 0,
): Buffer {
  return buildBatchSync(
    Array.from({ length: count }, (_, i) => ({
      key: `k${seed + i}`,
      value: Buffer.alloc(payloadBytes, (seed + i) & 0xff),
      timestamp: baseTimestamp + i,
    })),
    { baseTimestamp },
  );
}
