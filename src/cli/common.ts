import { KafkaClient } from '../client/client.js';
import type { Options } from './args.js';

/** A client for the command's --bootstrap-server and --request-timeout-ms; closed after `body`. */
export async function withClient<T>(
  o: Options,
  body: (client: KafkaClient) => Promise<T>,
  extra: { maxInFlight?: number } = {},
): Promise<T> {
  const client = new KafkaClient({
    bootstrap: o.bootstrap(),
    requestTimeoutMs: o.int('request-timeout-ms', 30_000, 1),
    connectTimeoutMs: Math.min(o.int('request-timeout-ms', 30_000, 1), 10_000),
    ...extra,
  });
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Writes to stdout, waiting when the pipe is full (so `| head` and slow readers are safe). */
export function out(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Left-aligned columns separated by two spaces, like kafka-consumer-groups' tables. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
