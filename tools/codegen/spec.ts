/**
 * The model of Kafka's JSON message definitions, as the generator sees them. Only names, types and
 * version ranges are read; descriptive text ("about") is ignored and never reaches the output.
 */

/** An inclusive version range; `max` is Infinity for open ranges ("3+"). */
export interface Range {
  min: number;
  max: number;
}

export const PRIMITIVES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'uuid',
  'string',
  'bytes',
  'records',
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export type FieldType =
  | { kind: 'prim'; name: Primitive }
  | { kind: 'array'; elem: FieldType }
  | { kind: 'struct'; struct: StructDef };

export interface FieldDef {
  /** Name as in the definition (PascalCase). */
  name: string;
  /** camelCase property name. */
  prop: string;
  type: FieldType;
  versions: Range | null;
  nullable: Range | null;
  tagged: Range | null;
  tag: number | undefined;
  ignorable: boolean;
  /** The "default" entry as written in the definition, if any. */
  rawDefault: string | number | boolean | undefined;
  /** A field-level flexibleVersions override (only RequestHeader.ClientId uses one: "none"). */
  flexibleOverride: Range | null | undefined;
}

export interface StructDef {
  name: string;
  /** Exported TypeScript name (prefixed by the message name unless it already starts with it). */
  tsName: string;
  fields: FieldDef[];
  /** The message itself, rather than a nested struct. */
  root: boolean;
}

export interface MessageDef {
  file: string;
  name: string;
  kind: 'request' | 'response' | 'header' | 'data';
  apiKey: number | undefined;
  valid: Range;
  flexible: Range | null;
  latestVersionUnstable: boolean;
  root: StructDef;
  /** Every struct of the message, root first, each once. */
  structs: StructDef[];
}

/** Removes // comments (outside string literals) so the definitions parse as JSON. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export function parseVersions(s: string | undefined): Range | null {
  if (s === undefined || s === '' || s === 'none') return null;
  const plus = /^(\d+)\+$/.exec(s);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(s);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(s)) return { min: Number(s), max: Number(s) };
  throw new Error(`bad version range: ${s}`);
}

export function intersect(a: Range | null, b: Range | null): Range | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

export function contains(r: Range | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

export function covers(outer: Range | null, inner: Range | null): boolean {
  if (inner === null) return true;
  return outer !== null && outer.min <= inner.min && outer.max >= inner.max;
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: { name: string; versions?: string; fields: RawField[] }[];
}

export function parseMessage(file: string, text: string): MessageDef {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const kind = raw.type;
  if (kind !== 'request' && kind !== 'response' && kind !== 'header' && kind !== 'data') {
    throw new Error(`${file}: unknown message type ${kind}`);
  }
  const valid = parseVersions(raw.validVersions);
  if (valid === null) throw new Error(`${file}: no valid versions`);
  const structs: StructDef[] = [];
  const byName = new Map<string, StructDef>();
  const tsNames = new Set<string>();
  const tsNameOf = (n: string) => (n.startsWith(raw.name) ? n : raw.name + n);

  const newStruct = (name: string, root: boolean): StructDef => {
    const tsName = root ? raw.name : tsNameOf(name);
    if (tsNames.has(tsName)) throw new Error(`${file}: struct name clash ${tsName}`);
    tsNames.add(tsName);
    const s: StructDef = { name, tsName, fields: [], root };
    structs.push(s);
    if (!root) byName.set(name, s);
    return s;
  };

  const rootStruct = newStruct(raw.name, true);
  // Common structs are declared up front so fields may reference them by name.
  const pendingCommon: [StructDef, RawField[]][] = [];
  for (const cs of raw.commonStructs ?? []) pendingCommon.push([newStruct(cs.name, false), cs.fields]);

  const parseType = (f: RawField): FieldType => {
    let t = f.type;
    const isArray = t.startsWith('[]');
    if (isArray) t = t.slice(2);
    let elem: FieldType;
    if ((PRIMITIVES as readonly string[]).includes(t)) {
      if (f.fields) throw new Error(`${file}: primitive ${f.name} has fields`);
      elem = { kind: 'prim', name: t as Primitive };
    } else {
      let s: StructDef | undefined;
      if (f.fields) {
        s = newStruct(t, false);
        fillStruct(s, f.fields);
      } else {
        s = byName.get(t);
        if (!s) throw new Error(`${file}: unknown struct type ${t} (field ${f.name})`);
      }
      elem = { kind: 'struct', struct: s };
    }
    return isArray ? { kind: 'array', elem } : elem;
  };

  const fillStruct = (s: StructDef, fields: RawField[]) => {
    const props = new Set<string>();
    for (const f of fields) {
      const prop = camel(f.name);
      if (props.has(prop)) throw new Error(`${file}: duplicate field ${prop} in ${s.name}`);
      props.add(prop);
      const versions = parseVersions(f.versions);
      const tagged = parseVersions(f.taggedVersions);
      if (tagged !== null) {
        if (f.tag === undefined) throw new Error(`${file}: ${f.name} has taggedVersions but no tag`);
        if (tagged.min !== versions?.min || tagged.max !== versions.max) {
          // Every definition has taggedVersions === versions; the generator relies on it.
          throw new Error(`${file}: ${f.name}: taggedVersions differ from versions`);
        }
      }
      s.fields.push({
        name: f.name,
        prop,
        type: parseType(f),
        versions,
        nullable: parseVersions(f.nullableVersions),
        tagged,
        tag: f.tag,
        ignorable: f.ignorable === true,
        rawDefault: f.default,
        flexibleOverride: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions),
      });
    }
  };

  for (const [s, fields] of pendingCommon) fillStruct(s, fields);
  fillStruct(rootStruct, raw.fields);

  return {
    file,
    name: raw.name,
    kind,
    apiKey: raw.apiKey,
    valid,
    flexible: intersect(parseVersions(raw.flexibleVersions), valid),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root: rootStruct,
    structs,
  };
}
