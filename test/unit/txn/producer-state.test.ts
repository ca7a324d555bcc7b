/**
 * ProducerStateManager on a real storage Log in a temp dir: transactions and the LSO, aborted
 * ranges in `.txnindex`, duplicates, the `.snapshot` layout, and the state rebuilt at reopen from
 * the snapshot, from the log alone, and after truncation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from '../../../src/errors.js';
import { buildBatchSync, buildEndTxnMarker } from '../../../src/protocol/records/builder.js';
import { defaultLogConfig } from '../../../src/storage/config.js';
import { Log } from '../../../src/storage/log.js';
import { DuplicateBatchError } from '../../../src/storage/producer-state.js';
import { ProducerStateManager } from '../../../src/txn/producer-state-manager.js';

const root = mkdtempSync(join(tmpdir(), 'gregor-pstate-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function open(dir: string): Promise<{ log: Log; state: ProducerStateManager }> {
  const state = new ProducerStateManager('t', 0);
  const log = await Log.open(dir, defaultLogConfig(), { producerState: state });
  await state.recover(log);
  return { log, state };
}

const batch = (producerId: number, epoch: number, seq: number, n: number, transactional = false) =>
  buildBatchSync(
    Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })),
    { producerId, producerEpoch: epoch, baseSequence: seq, transactional },
  );

const marker = (producerId: number, epoch: number, commit: boolean) =>
  buildEndTxnMarker({ producerId, producerEpoch: epoch, commit, coordinatorEpoch: 0 });

describe('ProducerStateManager on a storage Log', () => {
  const dir = join(root, 't-0');

  it('tracks open transactions, aborted ranges (.txnindex) and duplicates', async () => {
    const { log, state } = await open(dir);
    await log.append(batch(7, 0, 0, 3, true)); // 0..2, open
    assert.equal(state.firstUnstableOffset(), 0);
    await log.append(batch(9, 0, 0, 2)); // 3..4
    await log.append(marker(7, 0, false)); // 5 ABORT
    assert.equal(state.firstUnstableOffset(), null);
    assert.deepEqual(state.abortedTransactions(0, 100), [{ producerId: 7, firstOffset: 0, lastOffset: 5 }]);
    assert.deepEqual(state.abortedTransactions(6, 100), []);
    const txnIndex = readdirSync(dir).filter((f) => f.endsWith('.txnindex'));
    assert.deepEqual(txnIndex, ['00000000000000000000.txnindex']);
    assert.equal(readFileSync(join(dir, txnIndex[0]!)).length, 34);
    await assert.rejects(log.append(batch(9, 0, 0, 2)), (e: unknown) => {
      assert.ok(e instanceof DuplicateBatchError);
      assert.equal(e.firstOffset, 3);
      assert.equal(e.lastOffset, 4);
      return true;
    });
    await assert.rejects(log.append(batch(9, 0, 3, 1)), (e: unknown) => {
      assert.ok(e instanceof KafkaError);
      assert.equal(e.code, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      return true;
    });
    await log.append(batch(11, 0, 0, 1, true)); // 6, open
    assert.equal(log.logEndOffset, 7);
    await log.flush();
    await log.close();
  });

  it('writes the snapshot in Kafka layout (version 1, CRC-32C over the entries)', () => {
    const snaps = readdirSync(dir)
      .filter((f) => f.endsWith('.snapshot'))
      .sort();
    assert.equal(snaps.at(-1), '00000000000000000007.snapshot');
    const buf = readFileSync(join(dir, snaps.at(-1)!));
    assert.equal(buf.readInt16BE(0), 1);
    assert.equal(buf.readUInt32BE(2), crc32c(buf.subarray(6)));
    assert.equal(buf.readInt32BE(6), 3);
    assert.equal(buf.length, 10 + 3 * 46);
  });

  it('reopens from the snapshot, then from the log alone, to the same state', async () => {
    for (const withSnapshot of [true, false]) {
      if (!withSnapshot)
        for (const f of readdirSync(dir)) if (f.endsWith('.snapshot')) unlinkSync(join(dir, f));
      const { log, state } = await open(dir);
      assert.equal(state.firstUnstableOffset(), 6, `open transaction (snapshot: ${withSnapshot})`);
      assert.deepEqual(state.abortedTransactions(0, 100), [{ producerId: 7, firstOffset: 0, lastOffset: 5 }]);
      await assert.rejects(log.append(batch(9, 0, 0, 2)), DuplicateBatchError);
      assert.equal(state.producer(9)?.epoch, 0);
      assert.equal(state.lastSequence(state.producer(9)!), 1);
      await log.close();
    }
  });

  it('truncation below a marker reopens its transaction and forgets what is gone', async () => {
    const { log, state } = await open(join(root, 'trunc-0'));
    await log.append(batch(7, 0, 0, 3, true)); // 0..2
    await log.append(marker(7, 0, false)); // 3 ABORT
    await log.append(batch(8, 0, 0, 1, true)); // 4
    await log.append(marker(8, 0, true)); // 5 COMMIT
    await log.append(batch(9, 0, 0, 1)); // 6
    assert.equal(state.firstUnstableOffset(), null);
    await log.truncateTo(5);
    assert.equal(
      state.firstUnstableOffset(),
      4,
      'the COMMIT marker at 5 is gone: the transaction is open again',
    );
    assert.equal(state.producer(9), undefined);
    assert.deepEqual(state.abortedTransactions(0, 100), [{ producerId: 7, firstOffset: 0, lastOffset: 3 }]);
    await log.truncateTo(3);
    assert.equal(state.firstUnstableOffset(), 0);
    assert.deepEqual(state.abortedTransactions(0, 100), []);
    await log.close();
  });

  it('a marker with an older epoch than the producer has is refused', async () => {
    const { log } = await open(join(root, 'fence-0'));
    await log.append(batch(5, 3, 0, 1, true));
    await assert.rejects(log.append(marker(5, 2, true)), (e: unknown) => {
      assert.ok(e instanceof KafkaError);
      assert.equal(e.code, ErrorCode.INVALID_PRODUCER_EPOCH);
      return true;
    });
    await log.close();
  });
});
