/**
 * Emits the cross-message modules: apis.ts (the table by apiKey), error-codes.ts (from
 * error-codes.tsv, code and name only) and schemas.ts (a compact description of every message for
 * tests and fuzzing, next to its decode/encode functions).
 */
import { GENERATED_BANNER, MessageEmitter, moduleName } from './emit.js';
import { contains, type FieldDef, type FieldType, intersect, type MessageDef, type Range } from './spec.js';

/** ApiKey names: the request name without "Request". */
function apiName(m: MessageDef): string {
  return m.name.replace(/Request$/, '');
}

/**
 * The API table in two modules, so a broker need not load every codec to start:
 *  - api-meta.ts: names, version ranges and header versions by apiKey, and `loadApiCodecs(key)`,
 *    which imports one API's request and response modules on first use (a cached dynamic import);
 *  - apis.ts: the same table with every codec imported statically (clients, tests, tools).
 */
export function emitApis(messages: MessageDef[]): { apis: string; meta: string } {
  const requests = messages
    .filter((m) => m.kind === 'request')
    .sort((a, b) => (a.apiKey ?? 0) - (b.apiKey ?? 0));
  const responses = new Map<number, MessageDef>();
  for (const m of messages) if (m.kind === 'response' && m.apiKey !== undefined) responses.set(m.apiKey, m);
  const imports: string[] = [];
  const entries: string[] = [];
  const metas: string[] = [];
  const loaders: string[] = [];
  const keys: string[] = [];
  for (const req of requests) {
    const key = req.apiKey;
    if (key === undefined) throw new Error(`${req.file}: request without apiKey`);
    const res = responses.get(key);
    if (!res) throw new Error(`no response for apiKey ${key}`);
    const name = apiName(req);
    imports.push(
      `import { decode${req.name}, encode${req.name} } from './${moduleName(req)}.js';`,
      `import { countErrors${res.name}, decode${res.name}, encode${res.name} } from './${moduleName(res)}.js';`,
    );
    const reqHeaders: number[] = [];
    const resHeaders: number[] = [];
    for (let v = 0; v <= req.valid.max; v++) {
      // ControlledShutdown v0 predates the client id; ApiVersions responses never carry tagged fields.
      reqHeaders.push(key === 7 && v === 0 ? 0 : contains(req.flexible, v) ? 2 : 1);
      resHeaders.push(key === 18 ? 0 : contains(res.flexible, v) ? 1 : 0);
    }
    keys.push(`  ${name}: ${key},`);
    metas.push(
      [
        '  {',
        `    apiKey: ${key},`,
        `    name: '${name}',`,
        `    minVersion: ${req.valid.min},`,
        `    maxVersion: ${req.valid.max},`,
        `    flexibleMinVersion: ${req.flexible === null ? -1 : req.flexible.min},`,
        `    latestVersionUnstable: ${req.latestVersionUnstable},`,
        `    requestHeaderVersions: [${reqHeaders.join(', ')}],`,
        `    responseHeaderVersions: [${resHeaders.join(', ')}],`,
        '  },',
      ].join('\n'),
    );
    entries.push(
      [
        '  {',
        `    ...apiMetas[${key}]!,`,
        `    decodeRequest: decode${req.name},`,
        `    encodeRequest: encode${req.name} as EncodeFn,`,
        `    decodeResponse: decode${res.name},`,
        `    encodeResponse: encode${res.name} as EncodeFn,`,
        `    countResponseErrors: countErrors${res.name} as CountErrorsFn,`,
        '  },',
      ].join('\n'),
    );
    loaders.push(
      [
        `    case ${key}:`,
        `      return Promise.all([import('./${moduleName(req)}.js'), import('./${moduleName(res)}.js')]).then(([q, s]) => ({`,
        `        decodeRequest: q.decode${req.name},`,
        `        encodeRequest: q.encode${req.name} as EncodeFn,`,
        `        decodeResponse: s.decode${res.name},`,
        `        encodeResponse: s.encode${res.name} as EncodeFn,`,
        `        countResponseErrors: s.countErrors${res.name} as CountErrorsFn,`,
        '      }));',
      ].join('\n'),
    );
  }
  const meta = [
    GENERATED_BANNER,
    '',
    "import type { Reader } from '../reader.js';",
    "import type { Writer } from '../writer.js';",
    '',
    '/** Kafka API keys by name. */',
    'export const ApiKey = {',
    ...keys,
    '} as const;',
    'export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];',
    '',
    '// biome-ignore lint/suspicious/noExplicitAny: the table is untyped; typed codecs live in each module.',
    'export type EncodeFn = (w: Writer, value: any, version: number) => void;',
    'export type DecodeFn = (r: Reader, version: number) => unknown;',
    "/** Calls `count` once per error code a response value carries (Kafka's errorCounts()). */",
    '// biome-ignore lint/suspicious/noExplicitAny: the table is untyped; typed codecs live in each module.',
    'export type CountErrorsFn = (value: any, version: number, count: (code: number) => void) => void;',
    '',
    '/** What the broker needs to know about an API before it decodes anything. */',
    'export interface ApiMeta {',
    '  readonly apiKey: number;',
    '  readonly name: string;',
    '  readonly minVersion: number;',
    '  readonly maxVersion: number;',
    '  /** First flexible (compact, tagged-field) version of the request; -1 if none. */',
    '  readonly flexibleMinVersion: number;',
    '  readonly latestVersionUnstable: boolean;',
    '  /** Request header version, indexed by API version. */',
    '  readonly requestHeaderVersions: readonly number[];',
    '  /** Response header version, indexed by API version (always 0 for ApiVersions). */',
    '  readonly responseHeaderVersions: readonly number[];',
    '}',
    '',
    "/** One API's untyped codecs. */",
    'export interface ApiCodecs {',
    '  readonly decodeRequest: DecodeFn;',
    '  readonly encodeRequest: EncodeFn;',
    '  readonly decodeResponse: DecodeFn;',
    '  readonly encodeResponse: EncodeFn;',
    '  readonly countResponseErrors: CountErrorsFn;',
    '}',
    '',
    '/** Every API, ordered by apiKey. */',
    'export const apiMetaList: readonly ApiMeta[] = [',
    ...metas,
    '];',
    '',
    '/** The table by apiKey (undefined for keys no definition uses). */',
    'export const apiMetas: readonly (ApiMeta | undefined)[] = (() => {',
    '  const t: (ApiMeta | undefined)[] = [];',
    '  for (const a of apiMetaList) t[a.apiKey] = a;',
    '  return Array.from(t);',
    '})();',
    '',
    'export function apiMetaByKey(apiKey: number): ApiMeta | undefined {',
    '  return apiMetas[apiKey];',
    '}',
    '',
    'function importCodecs(apiKey: number): Promise<ApiCodecs> | undefined {',
    '  switch (apiKey) {',
    ...loaders,
    '    default:',
    '      return undefined;',
    '  }',
    '}',
    '',
    'const loaded: (ApiCodecs | undefined)[] = [];',
    'const loading: (Promise<ApiCodecs> | undefined)[] = [];',
    '',
    "/** An API's codecs if `loadApiCodecs` has finished loading them, else undefined (no I/O). */",
    'export function loadedApiCodecs(apiKey: number): ApiCodecs | undefined {',
    '  return loaded[apiKey];',
    '}',
    '',
    '/**',
    " * Imports an API's request and response modules (once; later calls share the promise) and",
    ' * resolves to its codecs; undefined for keys no definition uses.',
    ' */',
    'export function loadApiCodecs(apiKey: number): Promise<ApiCodecs> | undefined {',
    '  let p = loading[apiKey];',
    '  if (p === undefined) {',
    '    p = importCodecs(apiKey)?.then((c) => {',
    '      loaded[apiKey] = c;',
    '      return c;',
    '    });',
    '    loading[apiKey] = p;',
    '  }',
    '  return p;',
    '}',
    '',
  ].join('\n');
  const apis = [
    GENERATED_BANNER,
    '',
    "import { type ApiCodecs, type ApiMeta, apiMetas, type CountErrorsFn, type EncodeFn } from './api-meta.js';",
    ...imports,
    '',
    "export { ApiKey, type CountErrorsFn, type DecodeFn, type EncodeFn } from './api-meta.js';",
    '',
    '/** An API with its codecs (every message module imported; see api-meta.ts for the lazy table). */',
    'export interface ApiDescriptor extends ApiMeta, ApiCodecs {}',
    '',
    '/** Every API, ordered by apiKey. */',
    'export const apiList: readonly ApiDescriptor[] = [',
    ...entries,
    '];',
    '',
    '/** The table by apiKey (undefined for keys no definition uses). */',
    'export const apis: readonly (ApiDescriptor | undefined)[] = (() => {',
    '  const t: (ApiDescriptor | undefined)[] = [];',
    '  for (const a of apiList) t[a.apiKey] = a;',
    '  return Array.from(t);',
    '})();',
    '',
    'export function apiByKey(apiKey: number): ApiDescriptor | undefined {',
    '  return apis[apiKey];',
    '}',
    '',
    '/** Request header version for an API version, or -1 when the version is not supported. */',
    'export function requestHeaderVersion(apiKey: number, version: number): number {',
    '  const a = apis[apiKey];',
    '  if (a === undefined || version < a.minVersion || version > a.maxVersion) return -1;',
    '  return a.requestHeaderVersions[version]!;',
    '}',
    '',
    '/** Response header version for an API version, or -1 when the version is not supported. */',
    'export function responseHeaderVersion(apiKey: number, version: number): number {',
    '  const a = apis[apiKey];',
    '  if (a === undefined || version < a.minVersion || version > a.maxVersion) return -1;',
    '  return a.responseHeaderVersions[version]!;',
    '}',
    '',
  ].join('\n');
  return { apis, meta };
}

export function emitErrorCodes(tsv: string): string {
  const lines = tsv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.split('\t') ?? [];
  const codeCol = header.indexOf('code');
  const nameCol = header.indexOf('name');
  if (codeCol < 0 || nameCol < 0) throw new Error('error-codes.tsv: no code/name columns');
  const rows: [string, number][] = [];
  for (const l of lines) {
    const cols = l.split('\t');
    const code = Number(cols[codeCol]);
    const name = cols[nameCol] ?? '';
    if (!Number.isInteger(code) || !/^[A-Z0-9_]+$/.test(name))
      throw new Error(`error-codes.tsv: bad row ${l}`);
    rows.push([name, code]);
  }
  return [
    GENERATED_BANNER,
    '// source: error-codes.tsv (code and name only)',
    '',
    'export const ErrorCode = {',
    ...rows.map(([n, c]) => `  ${n}: ${c},`),
    '} as const;',
    'export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];',
    'export type ErrorCodeName = keyof typeof ErrorCode;',
    '',
    'const names = new Map<number, ErrorCodeName>([',
    ...rows.map(([n, c]) => `  [${c}, '${n}'],`),
    ']);',
    '',
    '/** The name of an error code, or undefined for codes Kafka does not define. */',
    'export function errorCodeName(code: number): ErrorCodeName | undefined {',
    '  return names.get(code);',
    '}',
    '',
  ].join('\n');
}

function rangeLit(r: Range | null, valid: Range): string {
  const i = intersect(r, valid);
  return i === null ? 'null' : `[${i.min}, ${i.max}]`;
}

function typeLit(t: FieldType, seen: Set<string>): string {
  switch (t.kind) {
    case 'prim':
      return `'${t.name}'`;
    case 'array':
      return `{ array: ${typeLit(t.elem, seen)} }`;
    case 'struct':
      return `{ struct: '${t.struct.tsName}' }`;
  }
}

function defaultLit(f: FieldDef): string {
  const d = f.rawDefault;
  if (d === undefined) return '';
  if (d === 'null') return ', default: null';
  const em = f.type;
  if (em.kind === 'prim' && (em.name === 'bool' || em.name === 'string')) {
    return `, default: ${em.name === 'bool' ? String(d === true || d === 'true') : JSON.stringify(String(d))}`;
  }
  return '';
}

export function emitSchemas(messages: MessageDef[]): string {
  const imports: string[] = [];
  const entries: string[] = [];
  for (const m of messages) {
    imports.push(
      `import { decode${m.name}, default${m.name}, encode${m.name} } from './${moduleName(m)}.js';`,
    );
    const em = new MessageEmitter(m);
    const structs: string[] = [];
    for (const s of m.structs) {
      const fields = s.fields.map((f) => {
        const parts = [
          `name: '${f.prop}'`,
          `type: ${typeLit(f.type, new Set())}`,
          `versions: ${rangeLit(f.versions, m.valid)}`,
          `nullable: ${rangeLit(f.nullable, m.valid)}`,
        ];
        if (f.tag !== undefined) parts.push(`tag: ${f.tag}`);
        if (f.ignorable) parts.push('ignorable: true');
        if (f.flexibleOverride !== undefined)
          parts.push(`flexible: ${rangeLit(f.flexibleOverride, m.valid)}`);
        // Numeric defaults are resolved by the emitter (hex, negative) and given as numbers.
        let def = defaultLit(f);
        if (def === '' && f.rawDefault !== undefined) def = `, default: ${em.defaultExpr(f)}`;
        return `      { ${parts.join(', ')}${def} },`;
      });
      structs.push(`    ${s.tsName}: [\n${fields.join('\n')}\n    ],`);
    }
    entries.push(
      [
        '  {',
        `    name: '${m.name}',`,
        `    kind: '${m.kind}',`,
        `    apiKey: ${m.apiKey ?? -1},`,
        `    validVersions: [${m.valid.min}, ${m.valid.max}],`,
        `    flexibleVersions: ${rangeLit(m.flexible, m.valid)},`,
        `    root: '${m.root.tsName}',`,
        '    structs: {',
        ...structs,
        '    },',
        `    decode: decode${m.name},`,
        `    encode: encode${m.name} as EncodeFn,`,
        `    createDefault: default${m.name},`,
        '  },',
      ].join('\n'),
    );
  }
  return [
    GENERATED_BANNER,
    '// A compact, machine-readable description of every message definition (names, types and',
    '// version ranges), next to its codec, for property tests and fuzzing.',
    '',
    "import type { Reader } from '../reader.js';",
    "import type { Writer } from '../writer.js';",
    ...imports,
    '',
    "export type PrimitiveType = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records';",
    'export type TypeSchema = PrimitiveType | { readonly array: TypeSchema } | { readonly struct: string };',
    "/** Inclusive [min, max] within the message's valid versions, or null for none. */",
    'export type VersionRange = readonly [number, number] | null;',
    '',
    'export interface FieldSchema {',
    '  readonly name: string;',
    '  readonly type: TypeSchema;',
    '  readonly versions: VersionRange;',
    '  readonly nullable: VersionRange;',
    '  /** Tagged fields are tagged in every version they exist in. */',
    '  readonly tag?: number;',
    '  readonly ignorable?: boolean;',
    '  /** A field-level flexible-versions override. */',
    '  readonly flexible?: VersionRange;',
    '  /** An explicit default (numbers resolved, "null" as null); absent: the type default. */',
    '  readonly default?: number | boolean | string | null;',
    '}',
    '',
    '// biome-ignore lint/suspicious/noExplicitAny: generic table; typed codecs live in each module.',
    'export type EncodeFn = (w: Writer, value: any, version: number) => void;',
    '',
    'export interface MessageSchema {',
    '  readonly name: string;',
    "  readonly kind: 'request' | 'response' | 'header' | 'data';",
    '  readonly apiKey: number;',
    '  readonly validVersions: readonly [number, number];',
    '  readonly flexibleVersions: VersionRange;',
    '  readonly root: string;',
    '  readonly structs: Readonly<Record<string, readonly FieldSchema[]>>;',
    '  readonly decode: (r: Reader, version: number) => unknown;',
    '  readonly encode: EncodeFn;',
    '  readonly createDefault: () => unknown;',
    '}',
    '',
    'export const messageSchemas: readonly MessageSchema[] = [',
    ...entries,
    '];',
    '',
  ].join('\n');
}
