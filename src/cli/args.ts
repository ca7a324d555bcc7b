import { ClientError } from '../client/errors.js';

/**
 * Argument parsing and help text for the CLI tools. Each command declares its options once;
 * the parser and `--help` both come from that declaration. Exit codes (documented in the
 * README): 0 success, 1 runtime failure (broker error, unreachable broker, bad file), 2 usage
 * error (unknown option, missing or malformed value).
 */

export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  /** Long name without dashes, e.g. 'bootstrap-server'. */
  name: string;
  /** One-letter alias without the dash, e.g. 'f'. */
  short?: string;
  /** Placeholder of the value ('N', 'k=v'); absent for a flag. */
  value?: string;
  repeatable?: boolean;
  /** Shown as "(default ...)" in the help. */
  default?: string;
  help: string;
}

export interface CommandSpec {
  /** "gregor topic create". */
  name: string;
  /** One line: what it does. */
  summary: string;
  /** Positional arguments for the usage line, e.g. '<file.log>...'. */
  positionals?: string;
  /** Paragraphs after the summary. */
  details?: string;
  options: OptionSpec[];
  examples: string[];
}

export interface Parsed {
  values: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export const bootstrapOption: OptionSpec = {
  name: 'bootstrap-server',
  short: 'b',
  value: 'HOST:PORT[,...]',
  default: '127.0.0.1:9092, or $GREGOR_BOOTSTRAP_SERVER',
  help: 'brokers to connect to first',
};
export const requestTimeoutOption: OptionSpec = {
  name: 'request-timeout-ms',
  value: 'MS',
  default: '30000',
  help: 'fail a request with no answer after this long',
};
export const helpOption: OptionSpec = { name: 'help', short: 'h', help: 'show this help' };

/** Parses argv against a spec; returns 'help' for -h/--help. Throws UsageError. */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed | 'help' {
  const byLong = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const out: Parsed = { values: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    let opt: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) inline = arg.slice(eq + 1);
      opt = byLong.get(name);
      if (!opt) throw new UsageError(`unknown option '--${name}'`);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      opt = byShort.get(arg.slice(1, 2));
      if (!opt) throw new UsageError(`unknown option '${arg.slice(0, 2)}'`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      out.positionals.push(arg);
      continue;
    }
    if (opt.value === undefined) {
      if (inline !== undefined) throw new UsageError(`--${opt.name} takes no value`);
      out.flags.add(opt.name);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${opt.name} needs a value (${opt.value})`);
    const list = out.values.get(opt.name) ?? [];
    if (list.length > 0 && !opt.repeatable) throw new UsageError(`--${opt.name} given twice`);
    list.push(v);
    out.values.set(opt.name, list);
  }
  return out;
}

/** The --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const lines: string[] = [];
  lines.push(
    `Usage: ${spec.name} [options]${spec.positionals ? ` ${spec.positionals}` : ''}`,
    '',
    spec.summary,
  );
  if (spec.details) lines.push('', spec.details);
  lines.push('', 'Options:');
  const heads = spec.options.map(
    (o) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`,
  );
  const width = Math.min(Math.max(...heads.map((h) => h.length)) + 2, 40);
  spec.options.forEach((o, i) => {
    const head = heads[i]!;
    let text = o.help;
    if (o.repeatable) text += ' (repeatable)';
    if (o.default !== undefined) text += ` (default ${o.default})`;
    if (head.length + 2 > width) lines.push(`  ${head}`, `  ${' '.repeat(width)}${text}`);
    else lines.push(`  ${head.padEnd(width)}${text}`);
  });
  if (spec.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  lines.push('', 'Exit status: 0 success, 1 runtime failure, 2 usage error.');
  return lines.join('\n');
}

/** Typed access to parsed options. */
export class Options {
  readonly parsed: Parsed;
  constructor(parsed: Parsed) {
    this.parsed = parsed;
  }
  has(name: string): boolean {
    return this.parsed.flags.has(name) || this.parsed.values.has(name);
  }
  flag(name: string): boolean {
    return this.parsed.flags.has(name);
  }
  string(name: string): string | undefined {
    return this.parsed.values.get(name)?.[0];
  }
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`--${name} is required`);
    return v;
  }
  list(name: string): string[] {
    return this.parsed.values.get(name) ?? [];
  }
  /** An integer in [min, max]; `fallback` when absent. */
  int(name: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    return parseIntArg(`--${name}`, v, min, max);
  }
  /** key=value pairs of a repeatable option. */
  pairs(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.list(name)) {
      const eq = v.indexOf('=');
      if (eq <= 0) throw new UsageError(`--${name} needs key=value, got '${v}'`);
      out[v.slice(0, eq)] = v.slice(eq + 1);
    }
    return out;
  }
  bootstrap(): string {
    return this.string('bootstrap-server') ?? process.env.GREGOR_BOOTSTRAP_SERVER ?? '127.0.0.1:9092';
  }
}

export function parseIntArg(what: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new UsageError(`${what} must be an integer, got '${v}'`);
  if (n < min || n > max) throw new UsageError(`${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}

export type CommandFn = (argv: string[]) => Promise<void>;

/**
 * Runs a command body with the CLI's error policy: UsageError → message, "see --help", exit 2;
 * ClientError or a file/system error → message, exit 1. Unexpected errors print their stack (a bug).
 */
export async function runCommand(
  spec: CommandSpec,
  argv: string[],
  body: (o: Options) => Promise<void>,
): Promise<void> {
  let parsed: Parsed | 'help';
  try {
    parsed = parseArgs(spec, argv);
  } catch (err) {
    return usageFail(spec, err);
  }
  if (parsed === 'help') {
    process.stdout.write(`${helpText(spec)}\n`);
    return;
  }
  try {
    await body(new Options(parsed));
  } catch (err) {
    if (err instanceof UsageError) return usageFail(spec, err);
    process.exitCode = ExitCode.failure;
    if (err instanceof ClientError || isSystemError(err)) {
      process.stderr.write(`${spec.name}: ${(err as Error).message}\n`);
      return;
    }
    process.stderr.write(
      `${spec.name}: unexpected error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}

function usageFail(spec: CommandSpec, err: unknown): void {
  process.exitCode = ExitCode.usage;
  process.stderr.write(
    `${spec.name}: ${err instanceof Error ? err.message : String(err)}\nRun '${spec.name} --help' for the options.\n`,
  );
}

function isSystemError(err: unknown): boolean {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    (err as NodeJS.ErrnoException).syscall !== undefined
  );
}

/** Dispatches `gregor <group> <sub>`: help for the group when the sub-command is missing or unknown. */
export async function dispatch(
  group: string,
  summary: string,
  subs: Record<string, { summary: string; run: CommandFn }>,
  argv: string[],
): Promise<void> {
  const [sub, ...rest] = argv;
  const entry = sub !== undefined ? subs[sub] : undefined;
  if (entry) return entry.run(rest);
  const width = Math.max(...Object.keys(subs).map((k) => k.length)) + 2;
  const text = [
    `Usage: gregor ${group} <command> [options]`,
    '',
    summary,
    '',
    'Commands:',
    ...Object.entries(subs).map(([k, v]) => `  ${k.padEnd(width)}${v.summary}`),
    '',
    `Run 'gregor ${group} <command> --help' for a command's options.`,
  ].join('\n');
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    process.stdout.write(`${text}\n`);
    return;
  }
  if (sub === undefined) {
    process.stderr.write(`gregor ${group}: missing command\n\n${text}\n`);
    process.exitCode = ExitCode.usage;
    return;
  }
  process.stderr.write(`gregor ${group}: unknown command '${sub}'\n\n${text}\n`);
  process.exitCode = ExitCode.usage;
}

/** "\t", "\n", "\r", "\\" in separators given on the command line. */
export function unescapeArg(s: string): string {
  return s.replace(/\\([tnr\\])/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\',
  );
}
