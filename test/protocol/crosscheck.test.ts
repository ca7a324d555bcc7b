/**
 * Cross-check against an independent implementation: every response our encoders write must be
 * read by @platformatic/kafka's own response parsers (node_modules/@platformatic/kafka/dist/apis)
 * to the last byte, and the fields both sides name must agree. This catches layout mistakes that
 * a self round trip cannot (both directions of our codec sharing one misunderstanding).
 *
 * The values are random (from schemas.ts) but sanitised to what that client understands: error
 * codes 0 (it throws on errors), no records (it parses batches), no tagged fields (its tagged-field
 * reader only handles empty sections).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type MessageSchema, messageSchemas } from '../../src/protocol/generated/schemas.js';
import { Writer } from '../../src/protocol/writer.js';
import { inRange, structArb } from './schema-values.js';

const require = createRequire(import.meta.url);
const apisDir = join(dirname(require.resolve('@platformatic/kafka')), 'apis');

interface PlatformaticReader {
  position: number;
}
interface ReaderModule {
  Reader: { from(b: Buffer): PlatformaticReader };
}
type ParseResponse = (
  correlationId: number,
  apiKey: number,
  version: number,
  r: PlatformaticReader,
) => unknown;

/** Makes a random value acceptable to the other client (see the file comment). */
function sanitize(m: MessageSchema, struct: string, value: Record<string, unknown>, v: number): void {
  for (const f of m.structs[struct]!) {
    if (!inRange(f.versions, v)) continue;
    if (f.tag !== undefined) {
      delete value[f.name];
      continue;
    }
    const x = value[f.name];
    if (f.type === 'records') value[f.name] = null;
    else if (/rrorCode$/.test(f.name) && typeof x === 'number') value[f.name] = 0;
    else if (typeof f.type === 'object' && x !== null && x !== undefined) {
      const t = f.type;
      if ('struct' in t) sanitize(m, t.struct, x as Record<string, unknown>, v);
      else if (typeof t.array === 'object' && 'struct' in t.array) {
        const elem = t.array.struct;
        for (const e of x as Record<string, unknown>[]) sanitize(m, elem, e, v);
      }
    }
  }
  if ('_unknownTaggedFields' in value) value._unknownTaggedFields = undefined;
}

const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Their value in our representation: int64s are bigints there, UUIDs dashed hex. */
function normalize(theirs: unknown): unknown {
  if (typeof theirs === 'bigint') return Number(theirs);
  if (typeof theirs === 'string' && DASHED_UUID.test(theirs)) {
    return Buffer.from(theirs.replace(/-/g, ''), 'hex').toString('base64url');
  }
  return theirs;
}

/**
 * Compares the fields present at `v` that both sides name the same. Their parsers drop, rename or
 * reshape some fields (maps, nulls as empty arrays); only like-for-like values are compared.
 */
function agree(
  m: MessageSchema,
  struct: string,
  ours: Record<string, unknown>,
  theirs: unknown,
  v: number,
  path: string,
  diffs: string[],
): void {
  if (theirs === null || typeof theirs !== 'object' || diffs.length > 3) return;
  const t = theirs as Record<string, unknown>;
  for (const f of m.structs[struct]!) {
    if (!inRange(f.versions, v) || !(f.name in t)) continue;
    const a = ours[f.name];
    const b = normalize(t[f.name]);
    const p = `${path}.${f.name}`;
    if (a === null || a === undefined || b === null || b === undefined) continue;
    const type = f.type;
    if (typeof type === 'string') {
      if (Buffer.isBuffer(a)) {
        if (Buffer.isBuffer(b) && !a.equals(b)) diffs.push(`${p}: bytes differ`);
      } else if (typeof a === typeof b && !Object.is(a, b)) diffs.push(`${p}: ${String(a)} vs ${String(b)}`);
    } else if ('struct' in type) {
      agree(m, type.struct, a as Record<string, unknown>, b, v, p, diffs);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) {
        diffs.push(`${p}: length ${a.length} vs ${b.length}`);
        continue;
      }
      const elem = type.array;
      a.forEach((x, i) => {
        const y = normalize(b[i]);
        const pi = `${p}[${i}]`;
        if (typeof elem === 'object' && 'struct' in elem) {
          agree(m, elem.struct, x as Record<string, unknown>, y, v, pi, diffs);
        } else if (typeof x === typeof y && !Object.is(x, y))
          diffs.push(`${pi}: ${String(x)} vs ${String(y)}`);
      });
    }
  }
}

/**
 * Parsers of @platformatic/kafka 1.x that disagree with the message definitions themselves, checked
 * field by field against ../shared/kafka-protocol/messages. Skipped, with the reason.
 */
const THEIR_KNOWN_DEVIATIONS: Record<string, string> = {
  'admin/alter-partition-v3.js': 'reads topicId as a string and isr as one int32',
  'admin/consumer-group-describe-v0.js': 'reads subscribedTopicNames as one string, not []string',
  'admin/describe-client-quotas-v0.js': 'reads compact forms in v0, which is not flexible',
  'admin/describe-configs-v2.js': 'reads compact arrays and v3+ fields in v2',
  'admin/describe-topic-partitions-v0.js': 'skips the tagged fields of the nextCursor struct',
  'consumer/consumer-group-heartbeat-v0.js': 'skips the tagged fields of the assignment struct',
  'consumer/consumer-group-heartbeat-v1.js': 'skips the tagged fields of the assignment struct',
  'consumer/offset-for-leader-epoch-v4.js': 'reads partition before errorCode',
  'metadata/metadata-v9.js': 'reads clusterAuthorizedOperations as a boolean, not int32',
  'metadata/metadata-v10.js': 'reads clusterAuthorizedOperations as a boolean, not int32',
};

function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}

describe('cross-check with @platformatic/kafka response parsers', () => {
  const { Reader: PReader } = require(join(apisDir, '..', 'protocol', 'reader.js')) as ReaderModule;
  const byName = new Map(messageSchemas.map((m) => [m.name, m]));
  const cases: { file: string; m: MessageSchema; version: number; parse: ParseResponse }[] = [];
  for (const dir of readdirSync(apisDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(apisDir, dir.name))) {
      const match = /^(.*)-v(\d+)\.js$/.exec(file);
      if (!match) continue;
      const m = byName.get(`${pascal(match[1]!)}Response`);
      const version = Number(match[2]);
      if (!m || version > m.validVersions[1]) continue;
      const mod = require(join(apisDir, dir.name, file)) as { parseResponse?: ParseResponse };
      if (typeof mod.parseResponse === 'function') {
        cases.push({ file: `${dir.name}/${file}`, m, version, parse: mod.parseResponse });
      }
    }
  }

  it('finds the other client’s parsers (and every known deviation names one of them)', () => {
    assert.ok(cases.length > 100, `${cases.length} parsers`);
    for (const file of Object.keys(THEIR_KNOWN_DEVIATIONS)) {
      assert.ok(
        cases.some((c) => c.file === file),
        file,
      );
    }
  });

  it('reads every response we encode to the last byte, with the same field values', () => {
    const failures: string[] = [];
    for (const { file, m, version, parse } of cases) {
      if (file in THEIR_KNOWN_DEVIATIONS) continue;
      const values = fc.sample(structArb(m, m.root, version, { maxArray: 2 }), {
        numRuns: 10,
        seed: 0xc0ffee,
      });
      for (const value of values) {
        sanitize(m, m.root, value, version);
        const w = new Writer();
        m.encode(w, value, version);
        const buf = w.toBuffer();
        const r = PReader.from(buf);
        let theirs: unknown;
        try {
          theirs = parse(1, m.apiKey, version, r);
        } catch (e) {
          // Their ResponseError still carries the parsed response (e.g. non-empty recordErrors).
          if (e !== null && typeof e === 'object' && 'response' in e) theirs = e.response;
          else {
            failures.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
            break;
          }
        }
        // That client leaves the body's own trailing tagged-field section (one 0 byte) unread.
        const end =
          inRange(m.flexibleVersions, version) && buf[buf.length - 1] === 0 ? buf.length - 1 : buf.length;
        if (r.position !== end && r.position !== buf.length) {
          failures.push(`${file}: read ${r.position} of ${buf.length} bytes`);
          break;
        }
        const diffs: string[] = [];
        agree(m, m.root, value, theirs, version, m.name, diffs);
        if (diffs.length > 0) {
          failures.push(`${file}: ${diffs.join('; ')}`);
          break;
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});
