/**
 * Decoder fuzzing: random bytes and mutated valid encodings go to every decoder at every version.
 * Each decode must end in a value or a DecodeError — never another exception, never a hang.
 * Iterations are fixed (a seeded PRNG), so the file runs in a few seconds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecodeError } from '../../src/protocol/errors.js';
import { type MessageSchema, messageSchemas } from '../../src/protocol/generated/schemas.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { structArb } from './schema-values.js';

/** xorshift32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x10];

function randomBytes(next: () => number, maxLen: number): Buffer {
  const n = next() % (maxLen + 1);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const x = next();
    b[i] = x % 4 === 0 ? INTERESTING[(x >>> 8) % INTERESTING.length]! : x & 0xff;
  }
  return b;
}

function mutate(next: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  switch (next() % 6) {
    case 0: {
      // flip a few random bytes
      const k = 1 + (next() % 3);
      for (let i = 0; i < k && b.length > 0; i++) b[next() % b.length] = next() & 0xff;
      return b;
    }
    case 1:
      // truncate
      return b.subarray(0, b.length === 0 ? 0 : next() % b.length);
    case 2: {
      // set a byte to an interesting value (lengths of -1, 0x7f.., 0xff..)
      if (b.length > 0) b[next() % b.length] = INTERESTING[next() % INTERESTING.length]!;
      return b;
    }
    case 3: {
      // insert a random byte
      const at = b.length === 0 ? 0 : next() % b.length;
      return Buffer.concat([b.subarray(0, at), Buffer.from([next() & 0xff]), b.subarray(at)]);
    }
    case 4: {
      // overwrite 4 bytes with a big int32
      if (b.length >= 4)
        b.writeInt32BE([0x7fffffff, -1, -2, 0x10000000][next() % 4]!, next() % (b.length - 3));
      return b;
    }
    default: {
      // drop a byte
      if (b.length === 0) return b;
      const at = next() % b.length;
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
  }
}

interface Failure {
  message: string;
  version: number;
  input: string;
  error: string;
}

function tryDecode(m: MessageSchema, buf: Buffer, version: number, failures: Failure[]): boolean {
  try {
    m.decode(new Reader(buf), version);
    return true;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      failures.push({
        message: m.name,
        version,
        input: buf.toString('hex').slice(0, 200),
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
    }
    return false;
  }
}

function fuzz(
  m: MessageSchema,
  randomPerVersion: number,
  samples: number,
  mutationsPerSample: number,
): Failure[] {
  const failures: Failure[] = [];
  let seed = 0x9e3779b9;
  for (const c of m.name) seed = Math.imul(seed ^ c.charCodeAt(0), 16777619);
  const next = prng(seed);
  for (let v = m.validVersions[0]; v <= m.validVersions[1]; v++) {
    for (let i = 0; i < randomPerVersion; i++) tryDecode(m, randomBytes(next, 96), v, failures);
    const values = fc.sample(structArb(m, m.root, v, { maxArray: 2 }), {
      numRuns: samples,
      seed: next() | 0,
    });
    for (const value of values) {
      const w = new Writer(64);
      m.encode(w, value, v);
      const valid = w.toBuffer();
      assert.ok(tryDecode(m, valid, v, failures), `${m.name} v${v}: a valid encoding must decode`);
      for (let k = 0; k < mutationsPerSample; k++) tryDecode(m, mutate(next, valid), v, failures);
    }
  }
  return failures;
}

function report(failures: Failure[]): string {
  return failures
    .slice(0, 5)
    .map((f) => `${f.message} v${f.version}: ${f.error}\n  input ${f.input}`)
    .join('\n');
}

describe('decoder fuzzing', { timeout: 50_000 }, () => {
  it('request decoders (and headers): random and mutated bytes give a value or a DecodeError', () => {
    const failures: Failure[] = [];
    let n = 0;
    for (const m of messageSchemas) {
      if (m.kind !== 'request' && m.kind !== 'header') continue;
      failures.push(...fuzz(m, 150, 6, 40));
      n++;
    }
    assert.equal(n, 90);
    assert.equal(failures.length, 0, report(failures));
  });

  it('response and data decoders: the same, fewer iterations', () => {
    const failures: Failure[] = [];
    for (const m of messageSchemas) {
      if (m.kind !== 'response' && m.kind !== 'data') continue;
      failures.push(...fuzz(m, 40, 3, 20));
    }
    assert.equal(failures.length, 0, report(failures));
  });

  it('the fuzzer can tell a non-DecodeError apart (a decoder that throws TypeError is reported)', () => {
    const broken: MessageSchema = {
      ...messageSchemas[0]!,
      decode: () => {
        throw new TypeError('boom');
      },
    };
    const failures: Failure[] = [];
    tryDecode(broken, Buffer.alloc(1), 0, failures);
    assert.equal(failures.length, 1);
  });
});
