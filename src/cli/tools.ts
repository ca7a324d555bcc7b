import { consume } from './consume.js';
import { group } from './group.js';
import { log } from './log-dump.js';
import { perf } from './perf.js';
import { produce } from './produce.js';
import { topic } from './topic.js';

function withStdoutGuard(fn: (argv: string[]) => Promise<void>): (argv: string[]) => Promise<void> {
  return (argv) => {
    // `gregor consume ... | head`: the reader went away; that is a normal end, not a crash.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
    return fn(argv);
  };
}

/** The client-side tools of the `gregor` binary, by sub-command. */
export const tools: Record<string, (argv: string[]) => Promise<void>> = {
  topic: withStdoutGuard(topic),
  produce: withStdoutGuard(produce),
  consume: withStdoutGuard(consume),
  group: withStdoutGuard(group),
  log: withStdoutGuard(log),
  perf: withStdoutGuard(perf),
};
