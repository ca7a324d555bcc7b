/**
 * How `gregor serve` arrives at its settings: a server.properties-style file, then flags, then
 * GREGOR_* environment variables, each layer winning over the one before. Every value is checked
 * against the setting's definition in cluster/config.ts; an unknown name is a warning, a bad value
 * an error naming the setting, the value's origin and the reason.
 */
import { readFileSync } from 'node:fs';
import {
  BrokerConfig,
  brokerConfigDef,
  brokerConfigDefs,
  checkBrokerConfigValue,
  configEnvName,
  configFromEnv,
} from '../cluster/config.js';
import { PropertiesError, parseProperties } from '../cluster/properties.js';

/** A bad flag, file or value: `gregor serve` prints it with a hint and exits with EXIT_USAGE. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit code for a bad flag, config file or setting (nothing was started). */
export const EXIT_USAGE = 2;
/** Exit code when the broker could not start (port in use, data dir not writable, …). */
export const EXIT_START_FAILED = 1;

/** One setting's value and where it came from ('server.properties:12', '--port', 'GREGOR_…'). */
export interface Setting {
  readonly value: string;
  readonly origin: string;
}

export interface ServeArgs {
  readonly help: boolean;
  /** Print the effective settings and exit instead of starting. */
  readonly printConfig: boolean;
  readonly configFile: string | null;
  /** Settings given by flags, in order (later wins). */
  readonly flags: { name: string; value: string; origin: string }[];
  /** --port / --host: applied to the first entry of `listeners`. */
  readonly port: number | null;
  readonly host: string | null;
}

/** The flags `gregor serve` takes besides settings by name; shown in --help. */
export const SERVE_FLAGS: readonly { flag: string; help: string }[] = [
  { flag: '--config FILE', help: 'read settings from a server.properties-style file (or give FILE alone)' },
  { flag: '--port P', help: 'port of the first listener (0 picks a free one); shorthand for listeners' },
  { flag: '--host H', help: 'address of the first listener (default 127.0.0.1)' },
  { flag: '--data-dir DIR', help: 'where the partition logs live; shorthand for log.dirs' },
  {
    flag: '--admin-port P',
    help: 'serve /metrics, /health, /ready on 127.0.0.1:P; shorthand for admin.listener',
  },
  {
    flag: '--log-level L',
    help: 'trace, debug, info, warn, error, fatal or silent; shorthand for logger.level',
  },
  {
    flag: '--log-format F',
    help: 'json, pretty or auto (pretty on a terminal); shorthand for logger.format',
  },
  { flag: '--override key=value', help: 'any setting by its Kafka name (repeatable); also --key=value' },
  { flag: '--print-config', help: 'print the effective settings and where each came from, then exit' },
  { flag: '-h, --help', help: 'this help' },
];

const FLAG_SETTINGS: Record<string, string> = {
  '--data-dir': 'log.dirs',
  '--log-level': 'logger.level',
  '--log-format': 'logger.format',
};

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  let help = false;
  let printConfig = false;
  let configFile: string | null = null;
  let port: number | null = null;
  let host: string | null = null;
  const flags: { name: string; value: string; origin: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 2) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || (v.startsWith('--') && v.length > 2))
        throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '--print-config') printConfig = true;
    else if (arg === '--config') {
      if (configFile !== null) throw new UsageError('give one config file');
      configFile = value();
    } else if (arg === '--port') port = parsePort(arg, value());
    else if (arg === '--admin-port') {
      flags.push({ name: 'admin.listener', value: `127.0.0.1:${parsePort(arg, value())}`, origin: arg });
    } else if (arg === '--host') host = value();
    else if (arg in FLAG_SETTINGS) flags.push({ name: FLAG_SETTINGS[arg]!, value: value(), origin: arg });
    else if (arg === '--override') {
      const v = value();
      const at = v.indexOf('=');
      if (at <= 0) throw new UsageError(`--override needs key=value, got '${v}'`);
      flags.push({ name: v.slice(0, at), value: v.slice(at + 1), origin: '--override' });
    } else if (arg.startsWith('--') && inline !== undefined && arg.slice(2).includes('.')) {
      // --log.retention.hours=24: a setting by name.
      flags.push({ name: arg.slice(2), value: inline, origin: arg });
    } else if (!arg.startsWith('-')) {
      if (configFile !== null)
        throw new UsageError(`unexpected argument '${arg}' (a config file is already given)`);
      configFile = arg;
    } else throw new UsageError(`unknown option '${arg}'`);
  }
  return { help, printConfig, configFile, flags, port, host };
}

function parsePort(flag: string, v: string): number {
  const port = Number(v);
  if (!/^\d+$/.test(v) || port > 65535)
    throw new UsageError(`${flag} must be an integer from 0 to 65535, got '${v}'`);
  return port;
}

export interface ResolvedConfig {
  readonly config: BrokerConfig;
  /** Every setting given explicitly, with its origin. */
  readonly settings: ReadonlyMap<string, Setting>;
  /** Messages about unknown settings (the broker still starts). */
  readonly warnings: string[];
}

/**
 * Resolves the layers — defaults, file, flags, environment — into a checked BrokerConfig.
 * Throws UsageError naming the setting, where its value came from and why it is refused.
 */
export function resolveServeConfig(args: ServeArgs, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const settings = new Map<string, Setting>();
  if (args.configFile !== null) {
    let text: string;
    try {
      text = readFileSync(args.configFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new UsageError(`cannot read config file '${args.configFile}' (${code})`);
    }
    try {
      for (const p of parseProperties(text)) {
        settings.set(p.key, { value: p.value, origin: `${args.configFile}:${p.line}` });
      }
    } catch (err) {
      if (err instanceof PropertiesError) throw new UsageError(`${args.configFile}: ${err.message}`);
      throw err;
    }
  }
  for (const f of args.flags) settings.set(f.name, { value: f.value, origin: f.origin });
  if (args.port !== null || args.host !== null) {
    const listeners = settings.get('listeners')?.value ?? brokerConfigDef('listeners')!.default!;
    const origin = args.port !== null ? '--port' : '--host';
    settings.set('listeners', { value: withFirstListener(listeners, args.host, args.port), origin });
  }
  for (const [envName, { name, value }] of configFromEnv(env)) settings.set(name, { value, origin: envName });

  const warnings: string[] = [];
  const values: Record<string, string> = {};
  for (const [name, { value, origin }] of settings) {
    const d = brokerConfigDef(name);
    if (!d) {
      const hint = closestName(name);
      warnings.push(
        `unknown setting '${name}' (from ${origin}) is ignored${hint ? `; did you mean '${hint}'?` : ''}`,
      );
    } else {
      const problem = checkBrokerConfigValue(d, value);
      if (problem) throw new UsageError(`invalid value for ${name} (from ${origin}): ${problem}`);
    }
    values[name] = value;
  }
  return { config: new BrokerConfig(values), settings, warnings };
}

/** Replaces the host and/or port of the first `NAME://host:port` entry. */
function withFirstListener(listeners: string, host: string | null, port: number | null): string {
  const entries = listeners.split(',').map((s) => s.trim());
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entries[0] ?? '');
  const name = m?.[1] ?? 'PLAINTEXT';
  const h = host !== null ? (host.includes(':') ? `[${host}]` : host) : (m?.[2] ?? '127.0.0.1');
  const p = port ?? (m ? Number(m[3]) : 9092);
  entries[0] = `${name}://${h}:${p}`;
  return entries.join(',');
}

/** The known name nearest to a misspelt one (edit distance up to a third of its length). */
export function closestName(name: string): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const d of brokerConfigDefs) {
    const dist = editDistance(name, d.name, bestDistance);
    if (dist < bestDistance) {
      best = d.name;
      bestDistance = dist;
    }
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** `gregor serve --help`: usage, flags, then every setting with its default and environment variable. */
export function serveHelp(): string {
  const lines = [
    'Usage: gregor serve [FILE | --config FILE] [options]',
    '',
    'Runs a broker in the foreground until SIGTERM or SIGINT. Logs go to stderr.',
    '',
    "Settings use Kafka's names and defaults. Each comes from, the later winning:",
    '  1. the config file (server.properties syntax: key=value or key: value, # comments)',
    '  2. flags (--port, --data-dir, --override key=value, ...)',
    '  3. environment variables: GREGOR_ + the name upper-cased with dots as underscores,',
    '     e.g. GREGOR_LOG_RETENTION_HOURS=24 sets log.retention.hours',
    'An unknown setting is a warning; a bad value stops the start (exit code 2).',
    '',
    'Options:',
    ...SERVE_FLAGS.map((f) => `  ${f.flag.padEnd(22)} ${f.help}`),
    '',
    'Settings (name, default, meaning; * = can be changed at runtime with IncrementalAlterConfigs):',
  ];
  const width = Math.max(...brokerConfigDefs.map((d) => d.name.length)) + 2;
  for (const d of brokerConfigDefs) {
    const dflt = d.default === null ? '(none)' : d.default === '' ? '(empty)' : d.default;
    lines.push(`  ${(d.name + (d.dynamic ? '*' : '')).padEnd(width)} ${dflt}`);
    lines.push(`  ${''.padEnd(width)}   ${d.doc}${d.gregor ? ' [Gregor]' : ''}`);
  }
  lines.push('', `Example: gregor serve config/server.properties --port 9093`);
  lines.push(
    `         ${configEnvName('num.partitions')}=3 gregor serve --data-dir ./data --admin-port 9644`,
  );
  return lines.join('\n');
}
