import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  formatOffsetCheckpoint,
  readEpochCheckpoint,
  readOffsetCheckpoint,
  writeEpochCheckpointSync,
  writeOffsetCheckpoint,
} from '../../../src/storage/checkpoint.js';
import { defaultLogConfig, LONG_MAX, logConfigToKafka, parseLogConfig } from '../../../src/storage/config.js';
import { InvalidConfigError } from '../../../src/storage/errors.js';

describe('LogConfig', () => {
  it('has Kafka 4.0 defaults', () => {
    const c = defaultLogConfig();
    assert.equal(c.segmentBytes, 1073741824);
    assert.equal(c.segmentMs, 604800000);
    assert.equal(c.segmentIndexBytes, 10485760);
    assert.equal(c.indexIntervalBytes, 4096);
    assert.equal(c.retentionMs, 604800000);
    assert.equal(c.retentionBytes, -1);
    assert.deepEqual(c.cleanupPolicy, ['delete']);
    assert.equal(c.deleteRetentionMs, 86400000);
    assert.equal(c.minCleanableDirtyRatio, 0.5);
    assert.equal(c.maxMessageBytes, 1048588);
    assert.equal(c.messageTimestampType, 'CreateTime');
    assert.equal(c.flushMessages, LONG_MAX);
    assert.equal(c.flushMs, LONG_MAX);
    assert.equal(c.fileDeleteDelayMs, 60000);
    assert.equal(c.preallocate, false);
  });

  it('parses Kafka strings and renders them back', () => {
    const c = parseLogConfig({
      'retention.ms': '1000',
      'cleanup.policy': 'compact,delete',
      'flush.messages': '9223372036854775807',
    });
    assert.equal(c.retentionMs, 1000);
    assert.deepEqual(c.cleanupPolicy, ['compact', 'delete']);
    const out = Object.fromEntries(logConfigToKafka(c).map((e) => [e.name, e]));
    assert.equal(out['flush.messages']!.value, '9223372036854775807');
    assert.equal(out['flush.messages']!.isDefault, true);
    assert.equal(out['retention.ms']!.isDefault, false);
    assert.equal(out['cleanup.policy']!.value, 'compact,delete');
  });

  it('rejects invalid values with the key and the reason', () => {
    const bad: Array<[string, string]> = [
      ['retention.ms', 'abc'],
      ['segment.bytes', '100'],
      ['cleanup.policy', 'shred'],
      ['min.cleanable.dirty.ratio', '1.5'],
      ['message.timestamp.type', 'WallClock'],
      ['preallocate', 'maybe'],
      ['no.such.config', '1'],
      ['segment.bytes', '99999999999'],
    ];
    for (const [key, value] of bad) {
      assert.throws(
        () => parseLogConfig({ [key]: value }),
        (e: unknown) => e instanceof InvalidConfigError && e.key === key && e.reason.length > 0,
        `${key}=${value}`,
      );
    }
    assert.throws(
      () => parseLogConfig({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }),
      InvalidConfigError,
    );
    assert.equal(parseLogConfig({ 'no.such': '1' }, undefined, { unknown: 'ignore' }).retentionMs, 604800000);
  });
});

describe('checkpoint files', () => {
  it('round-trips Kafka text formats', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'gregor-ckpt-'));
    const path = join(dir, 'recovery-point-offset-checkpoint');
    const entries = [
      { topic: 'a-b', partition: 0, offset: 5 },
      { topic: 'c', partition: 12, offset: 9007199254740991 },
    ];
    await writeOffsetCheckpoint(path, entries);
    assert.equal(fs.readFileSync(path, 'utf8'), '0\n2\na-b 0 5\nc 12 9007199254740991\n');
    assert.deepEqual(readOffsetCheckpoint(path), entries);
    assert.deepEqual(readOffsetCheckpoint(join(dir, 'absent')), []);
    fs.writeFileSync(path, '0\n3\na 0 1\n');
    assert.throws(() => readOffsetCheckpoint(path));
    writeEpochCheckpointSync(join(dir, 'leader-epoch-checkpoint'), [{ epoch: 1, startOffset: 0 }]);
    assert.equal(fs.readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n1 0\n');
    assert.deepEqual(readEpochCheckpoint(join(dir, 'leader-epoch-checkpoint')), [
      { epoch: 1, startOffset: 0 },
    ]);
    assert.equal(formatOffsetCheckpoint([]), '0\n0\n');
    fs.rmSync(dir, { recursive: true });
  });
});
