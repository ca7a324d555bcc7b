// serve and the client tools are imported only for their own command: `gregor serve` starts
// without loading the client (and every codec its table imports), and the tools without the broker.

const USAGE = `Usage: gregor <command> [options]

Commands:
  serve     run the broker in the foreground (see: gregor serve --help)
  topic     create, list, describe, alter, delete topics
  produce   send lines from stdin or a file as records
  consume   print records (from an offset, a time, or as a group member)
  group     list, describe (with lag), reset offsets of, delete consumer groups
  log       dump a segment file's batches and records
  perf      produce/consume load tests with throughput and latency figures

Run 'gregor <command> --help' for a command's options.`;

/** Entry point of the `gregor` binary. Returns only for commands that finish by themselves. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { serve } = await import('./serve.js');
      await serve(rest);
      return;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return;
    default: {
      const { tools } = await import('./tools.js');
      if (Object.hasOwn(tools, command)) {
        await tools[command]!(rest);
        return;
      }
      console.error(`gregor: unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
    }
  }
}
