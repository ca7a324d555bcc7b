/**
 * Child process of storage-crash.test.ts: appends batches to a Log as fast as it can (several
 * appends in flight) and prints "ack <first> <last> <seed>" for every append that resolved, with a
 * synchronous write so the parent sees exactly what was acknowledged before the kill -9.
 * argv: <dir> <durability> <segmentBytes>
 */
import * as fs from 'node:fs';
import { defaultLogConfig } from '../../src/storage/config.js';
import { Log } from '../../src/storage/log.js';
import { fillerBatch } from '../helpers/record-batch.js';

const [dir, durability, segmentBytes] = process.argv.slice(2);
const log = await Log.open(
  dir!,
  defaultLogConfig({ segmentBytes: Number(segmentBytes), indexIntervalBytes: 1024 }),
  {
    durability: durability as 'fsync' | 'page-cache',
  },
);
fs.writeSync(1, `ready ${log.logEndOffset}\n`);
let seed = log.logEndOffset;
async function loop(): Promise<void> {
  for (;;) {
    const s = seed++;
    const batch = fillerBatch(1 + (s % 7), 100 + (s % 13) * 50, 1_700_000_000_000 + s, s);
    const r = await log.append(batch);
    fs.writeSync(1, `ack ${r.firstOffset} ${r.lastOffset} ${s}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, loop));
