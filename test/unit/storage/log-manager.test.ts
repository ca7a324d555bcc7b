import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultLogConfig } from '../../../src/storage/config.js';
import { KafkaStorageError, LogAlreadyExistsError } from '../../../src/storage/errors.js';
import { LogManager, parsePartitionDir } from '../../../src/storage/log-manager.js';
import { fillerBatch } from '../../helpers/record-batch.js';

const root = fs.mkdtempSync(join(tmpdir(), 'gregor-lm-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const cfg = () => defaultLogConfig({ segmentBytes: 4096, fileDeleteDelayMs: 0 });

describe('LogManager', () => {
  it('parses partition dir names', () => {
    assert.deepEqual(parsePartitionDir('my-topic-12'), { topic: 'my-topic', partition: 12 });
    assert.equal(parsePartitionDir('meta.properties'), null);
  });

  it('creates, checkpoints, reopens and deletes logs in the Kafka layout', async () => {
    const dir = join(root, 'a');
    const mgr = new LogManager({ dir, nodeId: 1, clusterId: 'c1', cleaner: { enable: false } });
    await mgr.open();
    const log = await mgr.createLog('orders', 0, cfg());
    await assert.rejects(mgr.createLog('orders', 0, cfg()), LogAlreadyExistsError);
    const other = await mgr.getOrCreateLog('my-topic', 3, cfg());
    for (let i = 0; i < 10; i++) await log.append(fillerBatch(2, 500));
    await other.append(fillerBatch(1, 10));
    await log.deleteRecordsBefore(5);
    await mgr.close();
    const meta = fs.readFileSync(join(dir, 'meta.properties'), 'utf8');
    assert.match(meta, /cluster\.id=c1/);
    assert.match(meta, /node\.id=1/);
    const rp = fs.readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8').split('\n');
    assert.equal(rp[0], '0');
    assert.equal(rp[1], '2');
    assert.ok(rp.includes('orders 0 20'));
    assert.ok(rp.includes('my-topic 3 1'));
    assert.ok(fs.readFileSync(join(dir, 'log-start-offset-checkpoint'), 'utf8').includes('orders 0 5'));
    assert.ok(fs.existsSync(join(dir, 'orders-0', '00000000000000000000.log')));

    const again = new LogManager({ dir, nodeId: 1, clusterId: 'c1', cleaner: { enable: false } });
    await again.open();
    const reopened = again.getLog('orders', 0)!;
    assert.equal(reopened.logEndOffset, 20);
    assert.equal(reopened.logStartOffset, 5);
    assert.equal(again.getLog('my-topic', 3)!.logEndOffset, 1);
    await again.deleteLog('orders', 0);
    assert.equal(again.getLog('orders', 0), undefined);
    assert.ok(!fs.readdirSync(dir).includes('orders-0'));
    assert.ok(fs.readdirSync(dir).some((d) => d.startsWith('orders-0.') && d.endsWith('-delete')));
    await again.close();
    assert.ok(!fs.readdirSync(dir).some((d) => d.startsWith('orders-0')));

    await assert.rejects(
      new LogManager({ dir, nodeId: 1, clusterId: 'other', cleaner: { enable: false } }).open(),
      KafkaStorageError,
    );
  });
});
