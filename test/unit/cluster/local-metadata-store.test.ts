import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalMetadataStore, METADATA_FILE } from '../../../src/cluster/local-metadata-store.js';
import type { TopicMetadata } from '../../../src/cluster/metadata-store.js';
import { randomUuid } from '../../../src/cluster/uuid.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gregor-meta-'));
  dirs.push(d);
  return d;
}

function topic(name: string, partitions = 1): TopicMetadata {
  return {
    name,
    topicId: randomUuid(),
    partitions: Array.from({ length: partitions }, (_, i) => ({
      partition: i,
      replicas: [1],
      leader: 1,
      leaderEpoch: 0,
    })),
    configs: { 'retention.ms': '1000' },
    internal: false,
  };
}

describe('LocalMetadataStore', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('creates a cluster id once and restores topics, ids, configs and broker configs', async () => {
    const dir = tempDir();
    const a = await LocalMetadataStore.open(dir);
    const t = topic('orders', 3);
    await a.createTopic(t);
    await a.createTopic(topic('gone'));
    await a.deleteTopic('gone');
    await a.updateTopic({ ...t, configs: { 'retention.ms': '2000' } });
    await a.setBrokerConfigs({ 'message.max.bytes': '5000' });
    await a.close();

    const b = await LocalMetadataStore.open(dir);
    assert.equal(b.clusterId, a.clusterId);
    assert.deepEqual(
      b.topics().map((x) => x.name),
      ['orders'],
    );
    const restored = b.topic('orders')!;
    assert.equal(restored.topicId, t.topicId);
    assert.equal(b.topicById(t.topicId)?.name, 'orders');
    assert.equal(restored.partitions.length, 3);
    assert.deepEqual(restored.configs, { 'retention.ms': '2000' });
    assert.deepEqual(b.brokerConfigs(), { 'message.max.bytes': '5000' });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
  });

  it('ignores a torn temp file from a crash mid-write', async () => {
    const dir = tempDir();
    const a = await LocalMetadataStore.open(dir);
    await a.createTopic(topic('kept'));
    await a.close();
    writeFileSync(join(dir, `${METADATA_FILE}.tmp`), '{"version":1,"clusterId":"x","top');
    const b = await LocalMetadataStore.open(dir);
    assert.deepEqual(
      b.topics().map((x) => x.name),
      ['kept'],
    );
  });

  it('keeps concurrent changes in order', async () => {
    const dir = tempDir();
    const a = await LocalMetadataStore.open(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.createTopic(topic(`t${i}`))));
    await a.close();
    const b = await LocalMetadataStore.open(dir);
    assert.equal(b.topics().length, 20);
  });
});
