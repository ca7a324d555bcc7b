import type { ZlibOptions } from 'node:zlib';
import { createRequire } from 'node:module';

// The native codec libraries load on first use: a broker whose clients never compress with one
// does not pay its start-up time and memory (about 3-4 MiB resident each).
const requireNative = createRequire(import.meta.url);
type ZstdLib = typeof import('@mongodb-js/zstd');
type Lz4Lib = typeof import('lz4-napi');
type SnappyLib = typeof import('snappy');
let zstdLib: ZstdLib | undefined;
let lz4Lib: Lz4Lib | undefined;
let snappyLib: SnappyLib | undefined;
const zstd = (): ZstdLib => (zstdLib ??= requireNative('@mongodb-js/zstd') as ZstdLib);
const lz4 = (): Lz4Lib => (lz4Lib ??= requireNative('lz4-napi') as Lz4Lib);
const snappy = (): SnappyLib => (snappyLib ??= requireNative('snappy') as SnappyLib);
import { Compression, type CompressionType } from './batch.js';
import { RecordBatchError } from './errors.js';

/**
 * Compression codecs of record batches, as Kafka clients write and read them:
 * - gzip: RFC 1952 members (node:zlib); several concatenated members are read as one stream.
 * - snappy: written as raw snappy (one block, what librdkafka, KafkaJS codecs and
 *   @platformatic/kafka write, and what every client reads); read both raw and the xerial
 *   framing the Java client writes (`\x82SNAPPY\0`, version, compatible version, then
 *   [int32 length][raw snappy] chunks).
 * - lz4: the LZ4 *frame* format with independent blocks (the Java client refuses linked blocks).
 * - zstd: standard zstd frames, level 3 (Kafka's default); node:zlib's zstd where Node.js has it
 *   (22.15+) to compress, else @mongodb-js/zstd (async-only); decompression always uses
 *   @mongodb-js/zstd, since node:zlib's decoder reads only the first of several frames.
 *
 * Decompression is bounded: before any output is allocated, the input's framing gives an upper
 * bound on its decompressed size (gzip: `maxOutputLength`), and input whose
 * bound exceeds `maxBytes` is refused — a 1 MiB batch cannot make the broker allocate gigabytes.
 * Every failure of a codec on client bytes is a RecordBatchError CORRUPT_MESSAGE.
 */

export type CompressionName = keyof typeof Compression;

/**
 * Largest records section a compressed batch may decompress to unless the caller passes its own
 * bound: Gregor's safety limit against decompression bombs (Kafka has none).
 */
export const decompressedBytesMax = 134_217_728;

const ZSTD_LEVEL = 3;

type Zlib = typeof import('node:zlib');
let zlibLib: Zlib | undefined;
/** node:zlib, loaded on first use too (~1.4 MiB and a few ms at start-up otherwise). */
const zlib = (): Zlib => (zlibLib ??= requireNative('node:zlib') as Zlib);
const gzipAsync = (data: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => zlib().gzip(data, (err, out) => (err ? reject(err) : resolve(out))));
const gunzipAsync = (data: Buffer, options: ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    zlib().gunzip(data, options, (err, out) => (err ? reject(err) : resolve(out))),
  );

interface NodeZstd {
  zstdCompressSync(data: Buffer, options?: object): Buffer;
  zstdCompress(data: Buffer, options: object, cb: (err: Error | null, out: Buffer) => void): void;
  constants: Record<string, number>;
}
let nodeZstdLib: NodeZstd | null | undefined;
/** node:zlib's zstd (Node.js ≥ 22.15, 23.8), or null on older Node.js. */
function nodeZstd(): NodeZstd | null {
  if (nodeZstdLib === undefined) {
    const z = zlib() as unknown as Partial<NodeZstd>;
    nodeZstdLib = typeof z.zstdCompressSync === 'function' ? (z as NodeZstd) : null;
  }
  return nodeZstdLib;
}
let zstdOptions: object | undefined;
const nodeZstdCompressOptions = (z: NodeZstd): object =>
  (zstdOptions ??= { params: { [z.constants['ZSTD_c_compressionLevel'] ?? 100]: ZSTD_LEVEL } });

/**
 * Below this many input bytes the async API runs gzip, snappy and lz4 on the event loop: the hop
 * to the thread pool costs more than the work (a 16 KiB lz4 batch: ~25 µs inline, ~150 µs async).
 */
const INLINE_BELOW = 32 << 10;

const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
/** Whether compressSync can do zstd on this Node.js (node:zlib has zstd from 22.15 and 23.8). */
export const zstdSyncAvailable =
  nodeMajor > 23 || (nodeMajor === 23 && nodeMinor >= 8) || (nodeMajor === 22 && nodeMinor >= 15);

export function compressionName(codec: number): string {
  for (const [name, id] of Object.entries(Compression)) if (id === codec) return name;
  return `unknown(${codec})`;
}

export function isKnownCompression(codec: number): codec is CompressionType {
  return codec >= Compression.none && codec <= Compression.zstd;
}

/** Compresses a records section. For zstd this needs node:zlib's zstd (see zstdSyncAvailable). */
export function compressSync(codec: CompressionType, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return zlib().gzipSync(data);
    case Compression.snappy:
      return snappy().compressSync(data);
    case Compression.lz4:
      return lz4().compressFrameSync(data);
    case Compression.zstd: {
      const z = nodeZstd();
      if (z) return z.zstdCompressSync(data, nodeZstdCompressOptions(z));
      throw new Error('zstd compression is async-only on this Node.js (node:zlib zstd needs 22.15+)');
    }
  }
}

/** Compresses a records section; off the event loop when it is large and the codec allows it. */
export async function compress(codec: CompressionType, data: Buffer): Promise<Buffer> {
  if (data.length < INLINE_BELOW && codec !== Compression.zstd) return compressSync(codec, data);
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipAsync(data);
    case Compression.snappy:
      return snappy().compress(data);
    case Compression.lz4:
      return lz4().compressFrame(data);
    case Compression.zstd: {
      const z = nodeZstd();
      if (z) {
        return new Promise((resolve, reject) =>
          z.zstdCompress(data, nodeZstdCompressOptions(z), (err, out) => (err ? reject(err) : resolve(out))),
        );
      }
      return zstd().compress(data, ZSTD_LEVEL);
    }
  }
}

/**
 * Decompresses a records section. Throws RecordBatchError CORRUPT_MESSAGE when the bytes are not
 * valid for the codec, or when they would decompress to more than `maxBytes`.
 */
export async function decompress(
  codec: CompressionType,
  data: Buffer,
  maxBytes: number = decompressedBytesMax,
): Promise<Buffer> {
  const name = compressionName(codec);
  let out: Buffer;
  try {
    switch (codec) {
      case Compression.none:
        out = data;
        break;
      case Compression.gzip:
        out =
          data.length < INLINE_BELOW
            ? zlib().gunzipSync(data, { maxOutputLength: maxBytes })
            : await gunzipAsync(data, { maxOutputLength: maxBytes });
        break;
      case Compression.snappy:
        out = snappyDecompress(data, maxBytes);
        break;
      case Compression.lz4:
        out = await lz4Decompress(data, maxBytes);
        break;
      case Compression.zstd:
        // Always libzstd through @mongodb-js/zstd: node:zlib's zstd decoder (Node 22.15+, 24)
        // stops after the first frame and returns nothing past a leading skippable frame, and a
        // records section may hold several frames.
        checkBound(name, zstdFrameBound(data), maxBytes);
        out = await zstd().decompress(data);
        break;
    }
  } catch (err) {
    if (err instanceof RecordBatchError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxBytes);
    throw new RecordBatchError('CORRUPT_MESSAGE', `${name} decompression failed: ${(err as Error).message}`);
  }
  if (out.length > maxBytes) throw tooLarge(name, maxBytes);
  return out;
}

function tooLarge(name: string, maxBytes: number): RecordBatchError {
  return new RecordBatchError('CORRUPT_MESSAGE', `${name} records decompress to more than ${maxBytes} bytes`);
}

function checkBound(name: string, bound: number, maxBytes: number): void {
  if (bound > maxBytes) throw tooLarge(name, maxBytes);
}

function corrupt(name: string, what: string): RecordBatchError {
  return new RecordBatchError('CORRUPT_MESSAGE', `${name} records are corrupt: ${what}`);
}

// ---- snappy ----

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic (8) + version (int32) + compatible version (int32). */
const XERIAL_HEADER_SIZE = 16;
/** The block size the Java client's SnappyOutputStream uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerialHeader(data: Buffer, pos: number): boolean {
  return data.length - pos >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, pos, pos + 8) === 0;
}

/** The uncompressed length a raw snappy block announces (its varint preamble), or -1. */
function snappyLength(data: Buffer, start: number, end: number): number {
  let result = 0;
  for (let i = 0; i < 5 && start + i < end; i++) {
    const b = data[start + i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return result <= 0xffffffff ? result : -1;
  }
  return -1;
}

function snappyRaw(data: Buffer): Buffer {
  return snappy().uncompressSync(data, { asBuffer: true }) as Buffer;
}

function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (!isXerialHeader(data, 0)) {
    const n = snappyLength(data, 0, data.length);
    if (n < 0) throw corrupt('snappy', 'bad length preamble');
    checkBound('snappy', n, maxBytes);
    return snappyRaw(data);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    // snappy-java reads concatenated streams: a new header may follow a chunk.
    if (isXerialHeader(data, pos)) {
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (data.length - pos < 4) throw corrupt('snappy', 'truncated xerial chunk length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos)
      throw corrupt('snappy', `xerial chunk of ${len} bytes past the end`);
    const chunk = data.subarray(pos, pos + len);
    const n = snappyLength(chunk, 0, chunk.length);
    if (n < 0) throw corrupt('snappy', 'bad length preamble in xerial chunk');
    total += n;
    checkBound('snappy', total, maxBytes);
    parts.push(snappyRaw(chunk));
    pos += len;
  }
  return Buffer.concat(parts, total);
}

/**
 * Snappy with the xerial framing the Java client writes (32 KiB chunks). Gregor itself writes
 * raw snappy; this exists for tests of the reading side and for tools that want Java's bytes.
 */
export function snappyXerialCompressSync(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const chunk = snappy().compressSync(data.subarray(pos, pos + XERIAL_BLOCK_SIZE));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(chunk.length);
    parts.push(len, chunk);
  }
  return Buffer.concat(parts);
}

// ---- lz4 frame ----

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function isSkippableFrame(magic: number): boolean {
  return (magic & 0xfffffff0) >>> 0 === 0x184d2a50;
}

/**
 * Walks LZ4 frames (headers and block lengths only): where each frame ends, and an upper bound of
 * the decompressed size (each compressed block yields at most the frame's block maximum).
 * lz4-napi decodes the first frame only, so concatenated frames are decoded one by one.
 */
export function lz4Frames(d: Buffer): { bound: number; frames: Buffer[] } {
  let pos = 0;
  let bound = 0;
  const frames: Buffer[] = [];
  const need = (n: number) => {
    if (d.length - pos < n) throw corrupt('lz4', 'truncated frame');
  };
  while (pos < d.length) {
    need(4);
    const magic = d.readUInt32LE(pos);
    if (isSkippableFrame(magic)) {
      need(8);
      pos += 8 + d.readUInt32LE(pos + 4);
      need(0);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt('lz4', 'not an LZ4 frame');
    const start = pos;
    need(7);
    const flg = d[pos + 4]!;
    const blockMax = LZ4_BLOCK_MAX[(d[pos + 5]! >> 4) & 7]!;
    if (flg >> 6 !== 1 || blockMax === 0) throw corrupt('lz4', 'unsupported frame descriptor');
    const blockChecksum = (flg & 0x10) !== 0;
    pos += 4 + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    for (;;) {
      need(4);
      const raw = d.readUInt32LE(pos);
      pos += 4;
      if (raw === 0) break;
      const size = raw & 0x7fffffff;
      if (size > blockMax)
        throw corrupt('lz4', `block of ${size} bytes over the frame's maximum ${blockMax}`);
      need(size + (blockChecksum ? 4 : 0));
      pos += size + (blockChecksum ? 4 : 0);
      bound += raw >>> 31 ? size : blockMax;
    }
    if (flg & 0x04) {
      need(4);
      pos += 4;
    }
    frames.push(d.subarray(start, pos));
  }
  return { bound, frames };
}

async function lz4Decompress(data: Buffer, maxBytes: number): Promise<Buffer> {
  const { bound, frames } = lz4Frames(data);
  if (frames.length === 0) throw corrupt('lz4', 'no LZ4 frame');
  checkBound('lz4', bound, maxBytes);
  const inline = data.length < INLINE_BELOW;
  const parts: Buffer[] = [];
  for (const frame of frames)
    parts.push(inline ? lz4().decompressFrameSync(frame) : await lz4().decompressFrame(frame));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// ---- zstd frame ----

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 << 10;
const ZSTD_DICT_ID_SIZE = [0, 1, 2, 4];
const ZSTD_FCS_SIZE = [0, 2, 4, 8];

/**
 * Walks zstd frames (headers and block headers only) and returns an upper bound of the
 * decompressed size: raw and RLE blocks state their size, a compressed block yields ≤ 128 KiB.
 */
export function zstdFrameBound(d: Buffer): number {
  let pos = 0;
  let bound = 0;
  const need = (n: number) => {
    if (d.length - pos < n) throw corrupt('zstd', 'truncated frame');
  };
  while (pos < d.length) {
    need(4);
    const magic = d.readUInt32LE(pos);
    if (isSkippableFrame(magic)) {
      need(8);
      pos += 8 + d.readUInt32LE(pos + 4);
      need(0);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt('zstd', 'not a zstd frame');
    need(5);
    const fhd = d[pos + 4]!;
    if (fhd & 0x08) throw corrupt('zstd', 'reserved frame header bit set');
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >> 6;
    pos +=
      5 +
      (singleSegment ? 0 : 1) +
      ZSTD_DICT_ID_SIZE[fhd & 3]! +
      (fcsFlag === 0 ? (singleSegment ? 1 : 0) : ZSTD_FCS_SIZE[fcsFlag]!);
    for (;;) {
      need(3);
      const header = d[pos]! | (d[pos + 1]! << 8) | (d[pos + 2]! << 16);
      pos += 3;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3 || size > ZSTD_BLOCK_MAX) throw corrupt('zstd', 'invalid block header');
      const stored = type === 1 ? 1 : size;
      need(stored);
      pos += stored;
      bound += type === 2 ? ZSTD_BLOCK_MAX : size;
      if (header & 1) break;
    }
    if (fhd & 0x04) {
      need(4);
      pos += 4;
    }
  }
  return bound;
}
