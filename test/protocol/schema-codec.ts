/**
 * A table-driven (interpreting) codec over the schema description in schemas.ts: a second,
 * independent implementation of the wire rules, written without looking at the generated code.
 * Tests use it as an oracle (both must produce the same bytes and values); bench/codec.ts uses it
 * to measure generated straight-line code against an interpreter, as DESIGN.md asks.
 */
import { isDeepStrictEqual } from 'node:util';
import { DecodeError } from '../../src/protocol/errors.js';
import type { FieldSchema, MessageSchema, TypeSchema } from '../../src/protocol/generated/schemas.js';
import type { RawTaggedField, Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { fieldDefault, inRange } from './schema-values.js';

type Obj = Record<string, unknown>;

function flexibleAt(m: MessageSchema, f: FieldSchema | undefined, v: number): boolean {
  if (f?.flexible !== undefined) return inRange(f.flexible, v);
  return inRange(m.flexibleVersions, v);
}

// ---- decode -------------------------------------------------------------------------------------

function readValue(
  m: MessageSchema,
  t: TypeSchema,
  r: Reader,
  v: number,
  compact: boolean,
  nullable: boolean,
  tagged: boolean,
): unknown {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return r.bool();
      case 'int8':
        return r.int8();
      case 'int16':
        return r.int16();
      case 'uint16':
        return r.uint16();
      case 'int32':
        return r.int32();
      case 'uint32':
        return r.uint32();
      case 'int64':
        return r.int64();
      case 'float64':
        return r.float64();
      case 'uuid':
        return r.uuid();
      case 'string': {
        const s = compact ? r.compactNullableString() : r.nullableString();
        if (s === null && !nullable) throw new DecodeError('null string');
        return s;
      }
      default: {
        const b = compact ? r.compactNullableBytes() : r.nullableBytes();
        if (b === null && !nullable) throw new DecodeError('null bytes');
        return b;
      }
    }
  }
  if ('array' in t) {
    const n = compact ? r.compactArrayLength(0) : r.arrayLength(0);
    if (n < 0) {
      if (!nullable) throw new DecodeError('null array');
      return null;
    }
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(readValue(m, t.array, r, v, compact, false, false));
    return out;
  }
  if (nullable) {
    const present = tagged ? r.uvarint() !== 0 : r.int8() >= 0;
    if (!present) return null;
  }
  return decodeStruct(m, t.struct, r, v);
}

export function decodeStruct(m: MessageSchema, name: string, r: Reader, v: number): Obj {
  const fields = m.structs[name]!;
  const out: Obj = {};
  const flexible = flexibleAt(m, undefined, v);
  for (const f of fields) {
    if (!inRange(f.versions, v) || f.tag !== undefined) {
      out[f.name] = fieldDefault(m, f);
      continue;
    }
    out[f.name] = readValue(m, f.type, r, v, flexibleAt(m, f, v), inRange(f.nullable, v), false);
  }
  if (m.flexibleVersions !== null) out._unknownTaggedFields = undefined;
  if (flexible) {
    const unknown: RawTaggedField[] = [];
    const n = r.taggedFieldCount();
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint();
      const size = r.taggedFieldSize(tag);
      const end = r.pos + size;
      const f = fields.find((x) => x.tag === tag && inRange(x.versions, v));
      if (f) {
        const saved = r.end;
        r.end = end;
        out[f.name] = readValue(m, f.type, r, v, true, inRange(f.nullable, v), true);
        r.end = saved;
      } else unknown.push({ tag, data: r.buf.subarray(r.pos, end) });
      r.pos = end;
    }
    if (unknown.length > 0) out._unknownTaggedFields = unknown;
  }
  return out;
}

// ---- encode -------------------------------------------------------------------------------------

function writeValue(
  m: MessageSchema,
  t: TypeSchema,
  x: unknown,
  w: Writer,
  v: number,
  compact: boolean,
): void {
  if (typeof t === 'object') {
    if ('array' in t) {
      const a = x as unknown[] | null;
      w.arrayLength(a === null ? null : a.length, compact);
      if (a !== null) for (const e of a) writeValue(m, t.array, e, w, v, compact);
    } else encodeStruct(m, t.struct, x as Obj, w, v);
    return;
  }
  switch (t) {
    case 'bool':
      w.bool(x as boolean);
      break;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
      w[t](x as number);
      break;
    case 'uuid':
      w.uuid(x as string);
      break;
    case 'string':
      if (compact) w.compactNullableString(x as string | null);
      else w.nullableString(x as string | null);
      break;
    case 'bytes':
      if (compact) w.compactNullableBytes(x as Buffer | null);
      else w.nullableBytes(x as Buffer | null);
      break;
    default:
      w.records(x as Buffer | Buffer[] | null, compact);
  }
}

function writeField(
  m: MessageSchema,
  f: FieldSchema,
  x: unknown,
  w: Writer,
  v: number,
  compact: boolean,
  tagged: boolean,
): void {
  const t = f.type;
  if (typeof t === 'object' && 'struct' in t && (f.nullable !== null || f.default === null)) {
    if (inRange(f.nullable, v)) {
      if (tagged) w.uvarint(x === null ? 0 : 1);
      else w.int8(x === null ? -1 : 1);
      if (x === null) return;
    }
  }
  writeValue(m, t, x, w, v, compact);
}

export function encodeStruct(m: MessageSchema, name: string, value: Obj, w: Writer, v: number): void {
  const fields = m.structs[name]!;
  const get = (f: FieldSchema) => (value[f.name] === undefined ? fieldDefault(m, f) : value[f.name]);
  const tagged: { tag: number; data: Buffer }[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    const x = get(f);
    if (f.tag !== undefined) {
      if (!isDeepStrictEqual(x, fieldDefault(m, f))) {
        const tw = new Writer(64);
        writeField(m, f, x, tw, v, true, true);
        tagged.push({ tag: f.tag, data: tw.toBuffer() });
      }
      continue;
    }
    writeField(m, f, x, w, v, flexibleAt(m, f, v), false);
  }
  if (!flexibleAt(m, undefined, v)) return;
  const unknown = (value._unknownTaggedFields as RawTaggedField[] | undefined) ?? [];
  const all = [...tagged, ...unknown].sort((a, b) => a.tag - b.tag);
  w.uvarint(all.length);
  for (const f of all) w.rawTaggedField(f);
}
