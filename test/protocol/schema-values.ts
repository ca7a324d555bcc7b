/**
 * Builds values of generated message types from the schema description (schemas.ts): defaults
 * (what a decoder fills in for absent fields) and fast-check arbitraries of complete values that
 * must survive encode → decode unchanged at a given version.
 */
import fc from 'fast-check';
import type {
  FieldSchema,
  MessageSchema,
  TypeSchema,
  VersionRange,
} from '../../src/protocol/generated/schemas.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';

export function inRange(r: VersionRange, v: number): boolean {
  return r !== null && v >= r[0] && v <= r[1];
}

function isFlexible(m: MessageSchema, f: FieldSchema | undefined, v: number): boolean {
  if (f?.flexible !== undefined) return inRange(f.flexible, v);
  return inRange(m.flexibleVersions, v);
}

type Value = unknown;

/** The value a decoder produces for a field absent at the version being read. */
export function fieldDefault(m: MessageSchema, f: FieldSchema): Value {
  if (f.default !== undefined) return f.default;
  return typeDefault(m, f.type, f.nullable !== null);
}

function typeDefault(m: MessageSchema, t: TypeSchema, nullable: boolean): Value {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return false;
      case 'string':
        return '';
      case 'uuid':
        return ZERO_UUID;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return nullable ? null : Buffer.alloc(0);
      default:
        return 0;
    }
  }
  if ('array' in t) return [];
  return structDefault(m, t.struct);
}

export function structDefault(m: MessageSchema, name: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of m.structs[name]!) out[f.name] = fieldDefault(m, f);
  if (m.flexibleVersions !== null) out._unknownTaggedFields = undefined;
  return out;
}

const uuidArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('base64url'));
const bufArb = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const strArb = fc.string({ unit: 'binary', maxLength: 12 });

function primArb(t: string): fc.Arbitrary<Value> {
  switch (t) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.oneof(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom(-1, 0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
      );
    case 'float64':
      return fc.double();
    case 'uuid':
      return uuidArb;
    case 'string':
      return strArb;
    case 'bytes':
    case 'records':
      return bufArb;
    default:
      throw new Error(`unknown primitive ${t}`);
  }
}

export interface ArbOptions {
  /** Longest generated array. */
  maxArray: number;
}

/** An arbitrary of complete values of `structName` as a decoder at `version` returns them. */
export function structArb(
  m: MessageSchema,
  structName: string,
  version: number,
  opts: ArbOptions = { maxArray: 3 },
): fc.Arbitrary<Record<string, Value>> {
  const fields = m.structs[structName]!;
  const model: Record<string, fc.Arbitrary<Value>> = {};
  const knownTags = new Set<number>();
  for (const f of fields) {
    if (f.tag !== undefined) knownTags.add(f.tag);
    if (!inRange(f.versions, version)) {
      const d = fieldDefault(m, f);
      model[f.name] = fc.constant(d).map(() => fieldDefault(m, f));
      continue;
    }
    let arb = typeArb(m, f.type, version, opts);
    if (inRange(f.nullable, version)) arb = fc.option(arb, { nil: null, freq: 4 });
    model[f.name] = arb;
  }
  if (m.flexibleVersions !== null) {
    if (isFlexible(m, undefined, version)) {
      const free = [];
      for (let t = 0; t < 40; t++) if (!knownTags.has(t)) free.push(t);
      model._unknownTaggedFields = fc.option(
        fc
          .uniqueArray(fc.constantFrom(...free), { minLength: 1, maxLength: 3 })
          .chain((tags) =>
            fc.tuple(...tags.sort((a, b) => a - b).map((tag) => bufArb.map((data) => ({ tag, data })))),
          ),
        { nil: undefined, freq: 3 },
      );
    } else model._unknownTaggedFields = fc.constant(undefined);
  }
  return fc.record(model, { noNullPrototype: true });
}

function typeArb(m: MessageSchema, t: TypeSchema, version: number, opts: ArbOptions): fc.Arbitrary<Value> {
  if (typeof t === 'string') return primArb(t);
  if ('array' in t) return fc.array(typeArb(m, t.array, version, opts), { maxLength: opts.maxArray });
  return structArb(m, t.struct, version, opts);
}

/** The flexible-versions test used by the fuzzer and round trips (header fields may override). */
export function messageIsFlexible(m: MessageSchema, v: number): boolean {
  return isFlexible(m, undefined, v);
}
