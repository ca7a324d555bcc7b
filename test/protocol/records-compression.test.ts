import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { Compression } from '../../src/protocol/records/batch.js';
import {
  compress,
  compressSync,
  decompress,
  lz4Frames,
  zstdFrameBound,
  zstdSyncAvailable,
} from '../../src/protocol/records/compression.js';
import { assertRecordError } from './records-helpers.js';

/** The input of the golden vectors below: 70000 bytes, byte i = (i >> 12) & 0xff. */
const GOLDEN_INPUT = Buffer.alloc(70_000);
for (let i = 0; i < GOLDEN_INPUT.length; i++) GOLDEN_INPUT[i] = (i >> 12) & 0xff;

/**
 * Frames written by the reference lz4 and zstd command-line tools (lz4 1.9.4, zstd 1.5.4), which
 * use the same libraries as librdkafka: the variants other clients may send.
 */
const GOLDEN = {
  // lz4 -B4 -BX --content-size: 64 KiB blocks, block checksums, content size, content checksum.
  lz4ContentSizeChecksums:
    'BCJNGHxAcBEBAAAAAADKRgEAAB8AAQD////////////////////7HwEBAP////////////////////sfAgEA////////////////////+x8DAQD////////////////////7HwQBAP////////////////////sfBQEA////////////////////+x8GAQD////////////////////7HwcBAP////////////////////sfCAEA////////////////////+x8JAQD////////////////////7HwoBAP////////////////////sfCwEA////////////////////+x8MAQD////////////////////7Hw0BAP////////////////////sfDgEA////////////////////+x8PAQD////////////////////2UA8PDw8PocYMiiAAAAAfEAEA////////////////////+x8RAQD/WFAREREREckh53kAAAAAitXuTg==',
  // lz4 -B4 -BD: linked (dependent) blocks, which the Java client refuses but librdkafka reads.
  lz4LinkedBlocks:
    'BCJNGERAXkYBAAAfAAEA////////////////////+x8BAQD////////////////////7HwIBAP////////////////////sfAwEA////////////////////+x8EAQD////////////////////7HwUBAP////////////////////sfBgEA////////////////////+x8HAQD////////////////////7HwgBAP////////////////////sfCQEA////////////////////+x8KAQD////////////////////7HwsBAP////////////////////sfDAEA////////////////////+x8NAQD////////////////////7Hw4BAP////////////////////sfDwEA////////////////////9lAPDw8PDyAAAAAfEAEA////////////////////+x8RAQD/WFAREREREQAAAACK1e5O',
  // lz4 -B4 --no-frame-crc: no content checksum.
  lz4NoChecksum:
    'BCJNGGBAgkYBAAAfAAEA////////////////////+x8BAQD////////////////////7HwIBAP////////////////////sfAwEA////////////////////+x8EAQD////////////////////7HwUBAP////////////////////sfBgEA////////////////////+x8HAQD////////////////////7HwgBAP////////////////////sfCQEA////////////////////+x8KAQD////////////////////7HwsBAP////////////////////sfDAEA////////////////////+x8NAQD////////////////////7Hw4BAP////////////////////sfDwEA////////////////////9lAPDw8PDyAAAAAfEAEA////////////////////+x8RAQD/WFAREREREQAAAAA=',
  // zstd --no-check of a file: single segment, content size in the header.
  zstdContentSize:
    'KLUv/aBwEQEAPQIAmAAAAQIDBAUGBwgJCgsMDQ4PEBESEABsqvDfP/77jP++8N8//vuM/77w3z/++4z/vvDfP/77jP++8N8//vuM/77w37/797E=',
  // zstd --no-content-size from a pipe: streaming frame with window descriptor and checksum, as
  // the Java client's ZstdOutputStream writes (no content size).
  zstdStreaming:
    'KLUv/QRYPQIAmAAAAQIDBAUGBwgJCgsMDQ4PEBESEABsqvDfP/77jP++8N8//vuM/77w3z/++4z/vvDfP/77jP++8N8//vuM/77w37/797FGGYMW',
} as const;

function golden(name: keyof typeof GOLDEN): Buffer {
  return Buffer.from(GOLDEN[name], 'base64');
}

const SKIPPABLE = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

describe('compression: reading what other implementations write', () => {
  for (const name of ['lz4ContentSizeChecksums', 'lz4LinkedBlocks', 'lz4NoChecksum'] as const) {
    it(`lz4 frame: ${name}`, async () => {
      assert.deepEqual(await decompress(Compression.lz4, golden(name)), GOLDEN_INPUT);
    });
  }
  for (const name of ['zstdContentSize', 'zstdStreaming'] as const) {
    it(`zstd frame: ${name}`, async () => {
      assert.deepEqual(await decompress(Compression.zstd, golden(name)), GOLDEN_INPUT);
    });
  }

  it('concatenated frames and skippable frames (lz4 and zstd)', async () => {
    const twice = Buffer.concat([GOLDEN_INPUT, GOLDEN_INPUT]);
    const lz4 = Buffer.concat([golden('lz4NoChecksum'), SKIPPABLE, golden('lz4LinkedBlocks')]);
    assert.deepEqual(await decompress(Compression.lz4, lz4), twice);
    const zstd = Buffer.concat([golden('zstdContentSize'), SKIPPABLE, golden('zstdStreaming')]);
    assert.deepEqual(await decompress(Compression.zstd, zstd), twice);
  });

  it('gzip with several members, as a stream of gzip writes', async () => {
    const data = Buffer.concat([zlib.gzipSync(GOLDEN_INPUT), zlib.gzipSync(Buffer.from('tail'))]);
    assert.deepEqual(
      await decompress(Compression.gzip, data),
      Buffer.concat([GOLDEN_INPUT, Buffer.from('tail')]),
    );
  });
});

describe('compression: round trips', () => {
  const data = Buffer.concat([GOLDEN_INPUT, Buffer.from('x'.repeat(5000)), Buffer.alloc(300_000, 7)]);
  for (const codec of [
    Compression.none,
    Compression.gzip,
    Compression.snappy,
    Compression.lz4,
    Compression.zstd,
  ]) {
    it(`codec ${codec}: compress → decompress, async and sync`, async () => {
      assert.deepEqual(await decompress(codec, await compress(codec, data)), data);
      if (codec !== Compression.zstd || zstdSyncAvailable) {
        assert.deepEqual(await decompress(codec, compressSync(codec, data)), data);
      } else {
        assert.throws(() => compressSync(codec, data), /async-only/);
      }
    });
  }

  it('lz4: several large frames (decoded one by one, off the event loop)', async () => {
    const frame = compressSync(Compression.lz4, data);
    assert.deepEqual(
      await decompress(Compression.lz4, Buffer.concat([frame, frame])),
      Buffer.concat([data, data]),
    );
  });
});

describe('compression: bounded decompression (no decompression bombs)', () => {
  const MiB = 1 << 20;

  it('gzip over the bound is CORRUPT_MESSAGE', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(8 * MiB));
    await assert.rejects(decompress(Compression.gzip, bomb, MiB), (e) =>
      assertRecordError(e, 'CORRUPT_MESSAGE'),
    );
    assert.equal((await decompress(Compression.gzip, bomb, 8 * MiB)).length, 8 * MiB);
  });

  it('snappy: the length preamble is checked before anything is allocated', async () => {
    // Preamble claims 0xffffffff bytes; the body is not even valid.
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    await assert.rejects(decompress(Compression.snappy, claim, MiB), (e) =>
      assertRecordError(e, 'CORRUPT_MESSAGE'),
    );
    const real = compressSync(Compression.snappy, Buffer.alloc(2 * MiB));
    await assert.rejects(decompress(Compression.snappy, real, MiB), /more than/);
  });

  it('lz4: a frame whose blocks could exceed the bound is refused unread', async () => {
    const big = compressSync(Compression.lz4, Buffer.alloc(4 * MiB));
    assert.ok(lz4Frames(big).bound >= 4 * MiB);
    await assert.rejects(decompress(Compression.lz4, big, MiB), (e) =>
      assertRecordError(e, 'CORRUPT_MESSAGE'),
    );
  });

  it('zstd: RLE blocks are counted at their stated size', async () => {
    // A hand-made frame of 2048 RLE blocks of 128 KiB each: 8 KiB of input, 256 MiB of output.
    const blocks = 2048;
    const frame = Buffer.alloc(6 + blocks * 4);
    frame.writeUInt32LE(0xfd2fb528, 0);
    frame[4] = 0x00; // no content size, no checksum, not single segment
    frame[5] = 0x58; // window descriptor
    for (let i = 0; i < blocks; i++) {
      const last = i === blocks - 1 ? 1 : 0;
      const header = last | (1 << 1) | ((128 << 10) << 3);
      const at = 6 + i * 4;
      frame[at] = header & 0xff;
      frame[at + 1] = (header >> 8) & 0xff;
      frame[at + 2] = (header >> 16) & 0xff;
      frame[at + 3] = 0x61;
    }
    assert.equal(zstdFrameBound(frame), blocks * (128 << 10));
    await assert.rejects(decompress(Compression.zstd, frame), (e) => assertRecordError(e, 'CORRUPT_MESSAGE'));
  });

  it('garbage and truncated frames are CORRUPT_MESSAGE for every codec', async () => {
    const inputs = [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(64, 0xff)];
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const good = await compress(codec, GOLDEN_INPUT);
      for (const bad of [...inputs, good.subarray(0, good.length >> 1), good.subarray(0, 5)]) {
        await assert.rejects(decompress(codec, bad), (e) => assertRecordError(e, 'CORRUPT_MESSAGE'));
      }
    }
  });
});
