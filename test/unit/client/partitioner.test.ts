import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { murmur2, partitionForKey } from '../../../src/client/partitioner.js';

const require = createRequire(import.meta.url);
/** KafkaJS's port of the Java client's murmur2 (its default partitioner hashes with it). */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer,
) => number;

describe('murmur2 partitioner', () => {
  it('hashes every key as KafkaJS (a port of the Java client) does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const key = Buffer.from(bytes);
        assert.equal(murmur2(key), kafkajsMurmur2(key));
      }),
      { numRuns: 2000 },
    );
  });

  it('picks toPositive(murmur2(key)) % partitions', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (s, n) => {
        const key = Buffer.from(s);
        const p = partitionForKey(key, n);
        assert.equal(p, (kafkajsMurmur2(key) & 0x7fffffff) % n);
        assert.ok(p >= 0 && p < n);
      }),
    );
  });
});
