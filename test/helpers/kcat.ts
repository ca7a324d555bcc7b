import { execFile } from 'node:child_process';

/**
 * Runs kcat (librdkafka's command-line client, a Debian package CI installs) with `input` on
 * stdin; resolves with its stdout. A failure or a run past `timeoutMs` rejects with kcat's stderr.
 */
export function kcat(args: readonly string[], input = '', timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kcat',
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    child.stdin!.end(input);
  });
}

/** The non-empty lines of a text. */
export function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}
