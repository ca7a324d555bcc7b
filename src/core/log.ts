import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The broker's logger: structured JSON lines on stderr (fd 2), so stdout stays free for tools. */
export function createLogger(level: LogLevel = 'info', name = 'gregor'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
