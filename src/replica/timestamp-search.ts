import { decodeBatch } from '../protocol/records/records.js';

/**
 * Record-level timestamp lookup inside one batch, for ListOffsets by timestamp (Kafka reads the
 * records of the one batch the time index points at). Not a hot path: one batch per lookup.
 */
export async function searchBatchByTimestamp(
  batch: Buffer,
  target: number,
  minOffset: number,
): Promise<{ offset: number; timestamp: number } | null> {
  const decoded = await decodeBatch(batch, 0, { verifyCrc: false });
  for (const r of decoded.records) {
    if (r.offset >= minOffset && r.timestamp >= target) return { offset: r.offset, timestamp: r.timestamp };
  }
  return null;
}
