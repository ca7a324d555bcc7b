import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
/** json: one JSON object per line; pretty: one readable line per entry; auto: pretty on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * The broker's logger: structured JSON lines on stderr (fd 2), so stdout stays free for tools.
 * With format 'pretty' (or 'auto' on a terminal) each entry is one readable line instead.
 */
export function createLogger(level: LogLevel = 'info', name = 'gregor', format: LogFormat = 'json'): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  const destination = pretty
    ? { write: (line: string) => process.stderr.write(formatPretty(line, process.stderr.isTTY === true)) }
    : pino.destination({ dest: 2, sync: true });
  return pino({ name, level, base: { pid: process.pid } }, destination);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every entry has, left out of the readable line. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/**
 * One JSON log line as `HH:MM:SS.mmm LEVEL message key=value ...` (an error's stack on the lines
 * after). Used only for people reading a terminal; machines get the JSON.
 */
export function formatPretty(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  let levelName = LEVEL_NAMES[level] ?? String(level);
  if (colour) levelName = `\x1b[${LEVEL_COLOURS[level] ?? '0'}m${levelName}\x1b[0m`;
  let out = `${time} ${levelName} ${String(entry.msg ?? '')}`;
  let stack = '';
  for (const [k, v] of Object.entries(entry)) {
    if (OMITTED.has(k)) continue;
    if (k === 'err' && v !== null && typeof v === 'object') {
      const e = v as { message?: unknown; stack?: unknown };
      out += ` err=${JSON.stringify(String(e.message ?? ''))}`;
      if (typeof e.stack === 'string') stack = `\n    ${e.stack.split('\n').join('\n    ')}`;
      continue;
    }
    out += ` ${k}=${typeof v === 'string' && /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v)}`;
  }
  return `${out}${stack}\n`;
}
