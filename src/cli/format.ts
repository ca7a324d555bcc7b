import type { ConsumedRecord } from '../client/consumer.js';
import { UsageError, unescapeArg } from './args.js';

export type RecordFormatter = (r: ConsumedRecord) => string;

/**
 * Compiles a kcat-style -f format: %t topic, %p partition, %o offset, %T timestamp (ms),
 * %k key, %K key length, %s value, %S value length, %h headers (k=v,k=v), %% a percent sign;
 * escapes \n \r \t \\. A null key or value prints as empty (its length as -1).
 */
export function compileFormat(format: string): RecordFormatter {
  const parts: (string | ((r: ConsumedRecord) => string))[] = [];
  let lit = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length) {
      const n = format[++i]!;
      lit += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '\\' ? '\\' : `\\${n}`;
      continue;
    }
    if (c !== '%') {
      lit += c;
      continue;
    }
    const t = format[++i];
    if (t === '%') {
      lit += '%';
      continue;
    }
    const fn = TOKENS[t ?? ''];
    if (!fn)
      throw new UsageError(
        `unknown format token '%${t ?? ''}' in -f (known: ${Object.keys(TOKENS)
          .map((k) => `%${k}`)
          .join(' ')} %%)`,
      );
    if (lit) parts.push(lit);
    lit = '';
    parts.push(fn);
  }
  if (lit) parts.push(lit);
  return (r) => {
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : p(r);
    return s;
  };
}

const TOKENS: Record<string, (r: ConsumedRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  T: (r) => String(r.timestamp),
  k: (r) => (r.key ? r.key.toString('utf8') : ''),
  K: (r) => String(r.key ? r.key.length : -1),
  s: (r) => (r.value ? r.value.toString('utf8') : ''),
  S: (r) => String(r.value ? r.value.length : -1),
  h: (r) => r.headers.map((h) => `${h.key}=${h.value ? h.value.toString('utf8') : ''}`).join(','),
};

/**
 * kafka-console-consumer's default formatter: the value, preceded (tab-separated, in this order)
 * by CreateTime:T, Partition:P, Offset:O, headers (k:v,k:v or NO_HEADERS) and the key when the
 * matching print.* property is true. Null keys/values print as "null".
 */
export function propertyFormatter(props: Record<string, string>): RecordFormatter {
  const known = [
    'print.key',
    'print.value',
    'print.timestamp',
    'print.partition',
    'print.offset',
    'print.headers',
    'key.separator',
    'line.separator',
    'headers.separator',
    'headers.key.separator',
    'null.literal',
  ];
  for (const k of Object.keys(props))
    if (!known.includes(k)) throw new UsageError(`unknown --property '${k}' (known: ${known.join(', ')})`);
  const on = (k: string, d = false): boolean => (props[k] === undefined ? d : props[k] === 'true');
  const sep = unescapeArg(props['key.separator'] ?? '\t');
  const line = unescapeArg(props['line.separator'] ?? '\n');
  const hSep = unescapeArg(props['headers.separator'] ?? ',');
  const hkSep = unescapeArg(props['headers.key.separator'] ?? ':');
  const nul = props['null.literal'] ?? 'null';
  const printKey = on('print.key');
  const printValue = on('print.value', true);
  const printTs = on('print.timestamp');
  const printPartition = on('print.partition');
  const printOffset = on('print.offset');
  const printHeaders = on('print.headers');
  return (r) => {
    const f: string[] = [];
    if (printTs) f.push(`CreateTime:${r.timestamp}`);
    if (printPartition) f.push(`Partition:${r.partition}`);
    if (printOffset) f.push(`Offset:${r.offset}`);
    if (printHeaders)
      f.push(
        r.headers.length === 0
          ? 'NO_HEADERS'
          : r.headers.map((h) => `${h.key}${hkSep}${h.value ? h.value.toString('utf8') : nul}`).join(hSep),
      );
    if (printKey) f.push(r.key ? r.key.toString('utf8') : nul);
    if (printValue) f.push(r.value ? r.value.toString('utf8') : nul);
    return f.join(sep) + line;
  };
}
