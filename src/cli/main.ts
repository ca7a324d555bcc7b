import { serve } from './serve.js';

const USAGE = `Usage: gregor <command> [options]

Commands:
  serve     run the broker in the foreground (see: gregor serve --help)

Run 'gregor <command> --help' for a command's options.`;

/** Entry point of the `gregor` binary. Returns only for commands that finish by themselves. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return;
    default:
      console.error(`gregor: unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
  }
}
