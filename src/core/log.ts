import { writeSync } from 'node:fs';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
/** json: one JSON object per line; pretty: one readable line per entry; auto: pretty on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** `log.info({ key: value }, 'message')` or `log.info('message')`, as with pino. */
export type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/** The broker's logger: pino's calling convention and line format, without pino. */
export interface Logger {
  level: LogLevel;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  isLevelEnabled(level: LogLevel): boolean;
}

const LEVEL_VALUES: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/** pino's `err` serializer: type, message, stack, the error's own properties, and its cause. */
function serializeError(err: Error, seen: Set<unknown> = new Set()): Record<string, unknown> {
  seen.add(err);
  const out: Record<string, unknown> = {
    type: err.constructor?.name ?? 'Error',
    message: err.message,
    stack: err.stack,
  };
  for (const [k, v] of Object.entries(err)) if (!(k in out)) out[k] = v;
  const cause: unknown = err.cause;
  if (cause instanceof Error && !seen.has(cause)) out.cause = serializeError(cause, seen);
  else if (cause !== undefined && !(cause instanceof Error)) out.cause = cause;
  return out;
}

/** JSON.stringify that writes bigints as numbers and circular references as "[Circular]". */
function stringify(value: unknown): string {
  const stack: unknown[] = [];
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (typeof v === 'bigint') return Number(v);
    if (v !== null && typeof v === 'object') {
      while (stack.length > 0 && stack[stack.length - 1] !== this) stack.pop();
      if (stack.includes(v)) return '[Circular]';
      stack.push(v);
    }
    return v;
  });
}

/** Writes all of `line` to fd 2, waiting out EAGAIN on a non-blocking pipe (as sonic-boom does). */
function writeStderr(line: string): void {
  let buf = Buffer.from(line);
  let tries = 0;
  while (buf.length > 0) {
    try {
      const n = writeSync(2, buf);
      buf = buf.subarray(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++tries > 1000) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * The broker's logger: structured JSON lines on stderr (fd 2), so stdout stays free for tools.
 * With format 'pretty' (or 'auto' on a terminal) each entry is one readable line instead.
 * Lines look like pino's (`{"level":30,"time":…,"pid":…,"name":"gregor",…fields,"msg":"…"}`, an
 * `err` field serialized as pino does) and are written synchronously; loading pino cost about
 * 30 ms of start-up CPU and 8 MiB of resident memory for a handful of log calls.
 */
export function createLogger(level: LogLevel = 'info', name = 'gregor', format: LogFormat = 'json'): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  const write = pretty
    ? (line: string) => process.stderr.write(formatPretty(line, process.stderr.isTTY === true))
    : writeStderr;
  const prefix = `,"pid":${process.pid},"name":${JSON.stringify(name)}`;
  let threshold = LEVEL_VALUES[level];
  const make = (lvl: number): LogFn =>
    ((objOrMsg: object | string, msg?: string): void => {
      if (lvl < threshold) return;
      let line = `{"level":${lvl},"time":${Date.now()}${prefix}`;
      let message = msg;
      if (typeof objOrMsg === 'string') message = objOrMsg;
      else if (objOrMsg !== null && typeof objOrMsg === 'object') {
        const fields: Record<string, unknown> =
          objOrMsg instanceof Error ? { err: objOrMsg } : { ...(objOrMsg as Record<string, unknown>) };
        if (message === undefined && objOrMsg instanceof Error) message = objOrMsg.message;
        if (fields.err instanceof Error) fields.err = serializeError(fields.err);
        if (message === undefined && fields.msg !== undefined) message = String(fields.msg);
        delete fields.msg;
        const body = stringify(fields);
        if (body.length > 2) line += `,${body.slice(1, -1)}`;
      }
      if (message !== undefined) line += `,"msg":${JSON.stringify(String(message))}`;
      write(`${line}}\n`);
    }) as LogFn;
  return {
    get level() {
      return (Object.keys(LEVEL_VALUES) as LogLevel[]).find((l) => LEVEL_VALUES[l] === threshold)!;
    },
    set level(l: LogLevel) {
      threshold = LEVEL_VALUES[l];
    },
    trace: make(10),
    debug: make(20),
    info: make(30),
    warn: make(40),
    error: make(50),
    fatal: make(60),
    isLevelEnabled: (l: LogLevel) => LEVEL_VALUES[l] >= threshold,
  };
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
