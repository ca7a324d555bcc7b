import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BrokerProcess } from '../helpers/broker.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const PY_DIR = join(ROOT, 'test', 'integration', 'py');
/** The system Python, where the Debian packages python3-kafka and python3-confluent-kafka live. */
const PYTHON = '/usr/bin/python3';

interface Message {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string][];
}

/** Runs one of the client scripts against a fresh broker and returns its JSON report. */
async function runScript(script: string): Promise<Record<string, unknown>> {
  const broker = await BrokerProcess.start();
  try {
    const stdout = await new Promise<string>((res, rej) => {
      execFile(
        PYTHON,
        [join(PY_DIR, script), broker.bootstrap],
        { timeout: 50_000, maxBuffer: 16 << 20 },
        (err, out, errOut) =>
          err ? rej(new Error(`${script} failed: ${err.message}\n${errOut}`)) : res(out),
      );
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } finally {
    await broker.close();
  }
}

function checkCodecs(codecs: Record<string, Message[]>, expected: string[]): void {
  assert.deepEqual(Object.keys(codecs).sort(), [...expected].sort());
  for (const [codec, got] of Object.entries(codecs)) {
    assert.equal(got.length, 20, codec);
    got.forEach((m, i) => {
      assert.equal(m.offset, i, codec);
      assert.equal(m.key, `k${i}`);
      assert.equal(m.value, `v${i}`);
      assert.deepEqual(m.headers, [['h', String(i)]]);
    });
  }
}

function checkKeyed(got: Message[]): void {
  assert.equal(got.length, 90);
  const partitionOfKey = new Map<string, number>();
  for (const m of got) {
    const p = partitionOfKey.get(m.key!);
    if (p !== undefined) assert.equal(m.partition, p, `key ${m.key} on one partition`);
    partitionOfKey.set(m.key!, m.partition);
  }
  assert.ok(new Set(partitionOfKey.values()).size > 1, 'keys over several partitions');
  for (const p of [0, 1, 2]) {
    const values = got.filter((m) => m.partition === p).map((m) => Number(m.value));
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      `partition ${p} in order`,
    );
  }
}

describe('Python clients against a broker process', () => {
  it('kafka-python: codecs it has, keyed partitions, rewind, offsets by timestamp, long poll, admin', async () => {
    const r = await runScript('kafka_python_check.py');
    // The Debian kafka-python has gzip built in; snappy/lz4/zstd need Python modules Debian does not pull in.
    checkCodecs(r.codecs as Record<string, Message[]>, ['none', 'gzip']);
    checkKeyed(r.keyed as Message[]);
    assert.deepEqual(
      (r.rewind as Message[]).slice(0, 3).map((m) => [m.offset, m.value]),
      [
        [5, 'm5'],
        [6, 'm6'],
        [7, 'm7'],
      ],
    );
    assert.equal(r.by_timestamp, 4);
    assert.equal(r.end_offset, 10);
    assert.equal(r.beginning_offset, 0);
    assert.deepEqual(r.waited, ['late']);
    assert.equal(r.described_retention, '3600000');
    assert.equal(r.described_cleanup, 'delete');
    assert.equal(r.altered_retention, '7200000');
    assert.equal(r.topics_before_delete, true);
    assert.equal(r.topics_after_delete, false);
  });

  it('confluent-kafka: every codec, acks=0, keyed partitions, rewind, offsets by timestamp, long poll, admin', async () => {
    const r = await runScript('confluent_kafka_check.py');
    checkCodecs(r.codecs as Record<string, Message[]>, ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    checkKeyed(r.keyed as Message[]);
    assert.deepEqual(
      r.acks0,
      Array.from({ length: 10 }, (_, i) => `a${i}`),
    );
    assert.deepEqual(
      (r.rewind as Message[]).map((m) => [m.offset, m.value]),
      [
        [5, 'm5'],
        [6, 'm6'],
        [7, 'm7'],
      ],
    );
    assert.equal(r.by_timestamp, 4);
    assert.deepEqual(r.watermarks, [0, 10]);
    assert.deepEqual(r.waited, ['late']);
    assert.equal(r.described_retention, '3600000');
    assert.equal(r.described_cleanup, 'delete');
    assert.equal(r.described_source, 1, 'retention.ms is a TOPIC_CONFIG');
    assert.equal(r.altered_retention, '7200000');
    assert.equal(r.partitions_after_grow, 4);
    assert.equal(r.exists_after_delete, false);
  });
});
