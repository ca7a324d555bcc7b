import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';

interface Consumed {
  key: string;
  value: string;
  headers: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/** Consumes with a machine-readable format: key, value, headers, partition, offset, timestamp. */
async function consume(bootstrap: string, topic: string, extra: string[]): Promise<Consumed[]> {
  const out = await kcat([
    '-C',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-e',
    '-q',
    '-f',
    '%k\t%s\t%h\t%p\t%o\t%T\n',
    ...extra,
  ]);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [key, value, headers, partition, offset, timestamp] = l.split('\t');
      return {
        key: key!,
        value: value!,
        headers: headers!,
        partition: Number(partition),
        offset: Number(offset),
        timestamp: Number(timestamp),
      };
    });
}

describe('kcat (librdkafka) against a broker process', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: { 'num.partitions': '3' } });
  });
  after(async () => {
    await broker.close();
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces and consumes keys, values and headers with compression ${codec}`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: 20 }, (_, i) => `key${i}:value-${codec}-${i}`).join('\n');
      await kcat(
        [
          '-P',
          '-b',
          broker.bootstrap,
          '-t',
          topic,
          '-p',
          '0',
          '-K:',
          '-H',
          'h1=v1',
          '-H',
          'h2=v2',
          '-z',
          codec,
        ],
        `${lines}\n`,
      );
      const got = await consume(broker.bootstrap, topic, ['-p', '0', '-o', 'beginning']);
      assert.equal(got.length, 20);
      got.forEach((m, i) => {
        assert.equal(m.key, `key${i}`);
        assert.equal(m.value, `value-${codec}-${i}`);
        assert.equal(m.offset, i);
        assert.equal(m.headers, 'h1=v1,h2=v2');
      });
    });
  }

  it('keeps order within a partition and spreads keys over 3 partitions', async () => {
    const topic = 'kcat-keyed';
    const lines = Array.from({ length: 300 }, (_, i) => `k${i % 10}:${i}`).join('\n');
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K:'], `${lines}\n`);
    const got = await consume(broker.bootstrap, topic, ['-o', 'beginning']);
    assert.equal(got.length, 300);
    const partitionOfKey = new Map<string, number>();
    for (const m of got) {
      const seen = partitionOfKey.get(m.key);
      if (seen !== undefined) assert.equal(m.partition, seen, `key ${m.key} stays on one partition`);
      partitionOfKey.set(m.key, m.partition);
    }
    assert.ok(new Set(partitionOfKey.values()).size > 1, 'keys spread over more than one partition');
    for (const p of [0, 1, 2]) {
      const values = got.filter((m) => m.partition === p).map((m) => Number(m.value));
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
        `partition ${p} in produce order`,
      );
      const offsets = got.filter((m) => m.partition === p).map((m) => m.offset);
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
      );
    }
  });

  it('rewinds: reads again from an earlier offset', async () => {
    const topic = 'kcat-rewind';
    await kcat(
      ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'],
      `${Array.from({ length: 10 }, (_, i) => `m${i}`).join('\n')}\n`,
    );
    const all = await consume(broker.bootstrap, topic, ['-p', '0', '-o', 'beginning']);
    assert.equal(all.length, 10);
    const again = await consume(broker.bootstrap, topic, ['-p', '0', '-o', '5', '-c', '3']);
    assert.deepEqual(
      again.map((m) => [m.offset, m.value]),
      [
        [5, 'm5'],
        [6, 'm6'],
        [7, 'm7'],
      ],
    );
  });

  it('finds offsets by timestamp', async () => {
    const topic = 'kcat-time';
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], 'a\nb\nc\n');
    const first = await consume(broker.bootstrap, topic, ['-p', '0', '-o', 'beginning']);
    const lastTs = Math.max(...first.map((m) => m.timestamp));
    // Ensure the next batch has a strictly later timestamp than everything before it.
    await new Promise((r) => setTimeout(r, 20));
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], 'd\ne\n');
    const fromTs = await consume(broker.bootstrap, topic, ['-p', '0', '-o', `s@${lastTs + 1}`]);
    assert.deepEqual(
      fromTs.map((m) => m.value),
      ['d', 'e'],
    );
    assert.ok(fromTs.every((m) => m.timestamp > lastTs));
  });

  it('a consumer waiting on an empty partition receives a new record', async () => {
    const topic = 'kcat-wait';
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], 'first\n');
    const waiting = spawn('kcat', [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      '1',
      '-c',
      '1',
      '-q',
      '-f',
      '%s\n',
    ]);
    let out = '';
    waiting.stdout.setEncoding('utf8');
    waiting.stdout.on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => waiting.once('exit', (code) => r(code)));
    // Let the consumer reach the end of the partition and park its fetch.
    await new Promise((r) => setTimeout(r, 1000));
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], 'late\n');
    assert.equal(await exited, 0);
    assert.equal(out.trim(), 'late');
  });
});
