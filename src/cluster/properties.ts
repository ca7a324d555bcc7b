/**
 * A reader for Java's `.properties` format (what Kafka's server.properties is): `key=value`,
 * `key: value` or `key value`; `#` and `!` comment lines; a backslash at the end of a line
 * continues it on the next (whose leading blanks are dropped); escapes \t \n \r \f \uXXXX, and
 * a backslash before any other character stands for that character. The last value of a
 * repeated key wins, as in java.util.Properties.
 */

export interface Property {
  readonly key: string;
  readonly value: string;
  /** 1-based line where the entry starts, for messages. */
  readonly line: number;
}

export class PropertiesError extends Error {
  override name = 'PropertiesError';
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\f';

/** Parses properties text into entries in file order (repeated keys appear more than once). */
export function parseProperties(text: string): Property[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: Property[] = [];
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = stripLeading(lines[i]!);
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    // An odd number of trailing backslashes continues the line.
    while (endsWithContinuation(logical)) {
      logical = logical.slice(0, -1);
      i++;
      if (i >= lines.length) break;
      logical += stripLeading(lines[i]!);
    }
    out.push(splitEntry(logical, startLine));
  }
  return out;
}

/** The entries as a record (last value of a key wins) with the line each value came from. */
export function propertiesToRecord(entries: readonly Property[]): Map<string, Property> {
  const map = new Map<string, Property>();
  for (const e of entries) map.set(e.key, e);
  return map;
}

function stripLeading(s: string): string {
  let i = 0;
  while (isBlank(s[i])) i++;
  return s.slice(i);
}

function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function splitEntry(s: string, line: number): Property {
  let i = 0;
  // The key ends at the first unescaped '=', ':' or blank.
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || isBlank(c)) break;
    i++;
  }
  const rawKey = s.slice(0, Math.min(i, s.length));
  // Blanks, then at most one '=' or ':', then blanks.
  while (isBlank(s[i])) i++;
  if (s[i] === '=' || s[i] === ':') i++;
  while (isBlank(s[i])) i++;
  return { key: unescapeText(rawKey, line), value: unescapeText(s.slice(i), line), line };
}

function unescapeText(s: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++i];
    if (next === undefined) break;
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex))
          throw new PropertiesError(`line ${line}: malformed \\uXXXX escape`);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}
