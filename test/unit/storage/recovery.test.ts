import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { baseOffset, batchSize, lastOffset } from '../../../src/protocol/records/batch.js';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.js';
import { Log } from '../../../src/storage/log.js';
import { fillerBatch } from '../../helpers/record-batch.js';

const root = fs.mkdtempSync(join(tmpdir(), 'gregor-recovery-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `t-${n++}`);
const cfg = (o: Partial<LogConfig> = {}): LogConfig =>
  defaultLogConfig({ segmentBytes: 8192, indexIntervalBytes: 512, fileDeleteDelayMs: 0, ...o });

async function readAll(log: Log): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; ) {
    const r = await log.read(o, 1 << 20);
    if (r.bytes === 0) break;
    for (const b of r.records)
      for (let p = 0; p < b.length; p += batchSize(b, p)) out.push([baseOffset(b, p), lastOffset(b, p)]);
    o = r.nextOffset;
  }
  return out;
}

/** Writes 30 batches of 3 records (offsets 0..89) over several segments; returns the dir. */
async function populated(): Promise<string> {
  const dir = newDir();
  const log = await Log.open(dir, cfg());
  for (let i = 0; i < 30; i++) await log.append(fillerBatch(3, 200, 1_000 + i));
  await log.close();
  return dir;
}

function lastSegment(dir: string): string {
  const logs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  return join(dir, logs.at(-1)!);
}

describe('recovery', () => {
  it('cuts a torn tail at the last whole batch', async () => {
    const dir = await populated();
    const seg = lastSegment(dir);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 100);
    const log = await Log.open(dir, cfg());
    assert.equal(log.logEndOffset, 87);
    const all = await readAll(log);
    assert.deepEqual(all.at(-1), [84, 86]);
    assert.equal((await log.append(fillerBatch(1, 10))).firstOffset, 87);
    await log.close();
  });

  it('cuts at a batch with a flipped byte, and drops later segments', async () => {
    const dir = await populated();
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    assert.ok(logs.length >= 3);
    const victim = join(dir, logs[1]!);
    const buf = fs.readFileSync(victim);
    // Corrupt a value byte of the second batch of this segment (inside the CRC's range).
    const second = batchSize(buf, 0);
    const firstOffsetOfSecond = baseOffset(buf, second);
    buf[second + 100] = buf[second + 100]! ^ 0xff;
    fs.writeFileSync(victim, buf);
    const log = await Log.open(dir, cfg());
    assert.equal(log.logEndOffset, firstOffsetOfSecond);
    assert.equal(log.segmentCount, 2);
    const all = await readAll(log);
    assert.equal(all.length, firstOffsetOfSecond / 3);
    await log.close();
  });

  it('does not revalidate below the recovery point, but does above it', async () => {
    const dir = await populated();
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const last = join(dir, logs.at(-1)!);
    const buf = fs.readFileSync(last);
    buf[buf.length - 10] = buf[buf.length - 10]! ^ 0xff;
    fs.writeFileSync(last, buf);
    const trusted = await Log.open(dir, cfg(), { recoveryPoint: 90 });
    assert.equal(trusted.logEndOffset, 90);
    await trusted.close();
    const log = await Log.open(dir, cfg(), { recoveryPoint: 0 });
    assert.equal(log.logEndOffset, 87);
    await log.close();
  });

  it('rebuilds missing and corrupt indexes', async () => {
    const dir = await populated();
    const before = await Log.open(dir, cfg(), { recoveryPoint: 90 });
    const expected = await readAll(before);
    await before.close();
    const idx = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.index'))
      .sort();
    fs.unlinkSync(join(dir, idx[0]!));
    fs.writeFileSync(join(dir, idx[1]!), Buffer.alloc(24, 0xff));
    fs.appendFileSync(join(dir, idx[2]!.replace('.index', '.timeindex')), Buffer.from([1, 2, 3]));
    const log = await Log.open(dir, cfg(), { recoveryPoint: 90 });
    assert.deepEqual(await readAll(log), expected);
    for (let o = 0; o < 90; o += 7) {
      const r = await log.read(o, 1);
      assert.ok(baseOffset(r.records[0]!, 0) <= o && lastOffset(r.records[0]!, 0) >= o);
    }
    await log.close();
  });

  it('recovers a zero-filled tail (a crash after the file grew)', async () => {
    const dir = await populated();
    fs.appendFileSync(lastSegment(dir), Buffer.alloc(5000));
    const log = await Log.open(dir, cfg());
    assert.equal(log.logEndOffset, 90);
    await log.close();
  });
});
