/**
 * Crash tests: a child process appends to a Log and is killed with SIGKILL mid-stream. On reopen,
 * every append that resolved before the kill is there, byte for byte (fsync mode: fsynced; page-cache
 * mode: the kill does not drop the page cache), and nothing corrupt is readable.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  baseOffset,
  batchSize,
  computeCrc,
  lastOffset,
  storedCrc,
} from '../../src/protocol/records/batch.js';
import { defaultLogConfig } from '../../src/storage/config.js';
import { Log } from '../../src/storage/log.js';
import { fillerBatch } from '../helpers/record-batch.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'storage-crash-child.js');
const root = fs.mkdtempSync(join(tmpdir(), 'gregor-crash-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

interface Ack {
  first: number;
  last: number;
  seed: number;
}

/** Runs the child until it has acknowledged `minAcks` appends (plus a random moment), then kill -9. */
function runAndKill(dir: string, durability: string, minAcks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, durability, '65536'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acks: Ack[] = [];
    let buf = '';
    let killed = false;
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (m) acks.push({ first: Number(m[1]), last: Number(m[2]), seed: Number(m[3]) });
        if (!killed && acks.length >= minAcks) {
          killed = true;
          setTimeout(() => p.kill('SIGKILL'), Math.floor(Math.random() * 20));
        }
      }
    });
    p.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited without being killed (${signal})`));
      else resolve(acks);
    });
    setTimeout(() => {
      if (!killed) {
        killed = true;
        p.kill('SIGKILL');
      }
    }, 20_000).unref();
  });
}

async function verify(dir: string, acks: Ack[]): Promise<number> {
  const log = await Log.open(dir, defaultLogConfig({ segmentBytes: 65536, indexIntervalBytes: 1024 }));
  try {
    // Nothing corrupt readable, offsets strictly increasing.
    const seen = new Map<number, Buffer>();
    let prevLast = -1;
    for (let o = log.logStartOffset; o < log.logEndOffset; ) {
      const r = await log.read(o, 1 << 20);
      assert.ok(r.bytes > 0, `no data at ${o} below the log end ${log.logEndOffset}`);
      for (const b of r.records)
        for (let p = 0; p < b.length; p += batchSize(b, p)) {
          assert.equal(storedCrc(b, p), computeCrc(b, p), `corrupt batch at offset ${baseOffset(b, p)}`);
          assert.ok(baseOffset(b, p) > prevLast);
          prevLast = lastOffset(b, p);
          seen.set(baseOffset(b, p), Buffer.from(b.subarray(p, p + batchSize(b, p))));
        }
      o = r.nextOffset;
    }
    // Every acknowledged append is there, byte for byte (past the offset fields).
    for (const a of acks) {
      const got = seen.get(a.first);
      assert.ok(got, `acknowledged batch ${a.first}..${a.last} lost`);
      assert.equal(lastOffset(got, 0), a.last);
      const expect = fillerBatch(
        1 + (a.seed % 7),
        100 + (a.seed % 13) * 50,
        1_700_000_000_000 + a.seed,
        a.seed,
      );
      assert.deepEqual(got.subarray(21), expect.subarray(21), `batch ${a.first} content`);
    }
    return log.logEndOffset;
  } finally {
    await log.close();
  }
}

for (const durability of ['fsync', 'page-cache']) {
  describe(`kill -9 while appending (${durability})`, () => {
    it('keeps every acknowledged append and serves nothing corrupt, across repeated crashes', async () => {
      const dir = join(root, durability);
      let all: Ack[] = [];
      for (let round = 0; round < 3; round++) {
        const acks = await runAndKill(dir, durability, 300 + round * 200);
        assert.ok(acks.length > 0);
        all = all.concat(acks);
        const end = await verify(dir, all);
        assert.ok(end > all.at(-1)!.last);
      }
    });
  });
}
