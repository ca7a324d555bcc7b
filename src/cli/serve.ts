import type { AdminServer } from '../admin/server.js';
import { brokerConfigDef, brokerConfigDefs } from '../cluster/config.js';
import { createLogger, type LogFormat, type LogLevel } from '../core/log.js';
import { Broker } from '../server/broker.js';
import {
  EXIT_START_FAILED,
  EXIT_USAGE,
  parseServeArgs,
  type ResolvedConfig,
  resolveServeConfig,
  type ServeArgs,
  serveHelp,
  UsageError,
} from './serve-config.js';

export { parseServeArgs, resolveServeConfig, UsageError };

/** What a sensitive setting's value (a password) is printed as. */
const HIDDEN = '[hidden]';

/** `gregor serve`: resolve the settings, start the broker (and admin server), run until a signal. */
export async function serve(argv: string[]): Promise<void> {
  let args: ServeArgs;
  let resolved: ResolvedConfig;
  try {
    args = parseServeArgs(argv);
    if (args.help) {
      console.log(serveHelp());
      return;
    }
    resolved = resolveServeConfig(args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(
        `gregor serve: ${err.message}\nRun 'gregor serve --help' for the flags and every setting.`,
      );
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw err;
  }
  const { config, settings, warnings } = resolved;
  if (args.printConfig) {
    for (const w of warnings) console.error(`gregor serve: warning: ${w}`);
    for (const d of brokerConfigDefs) {
      const s = settings.get(d.name);
      const value = d.sensitive && s ? HIDDEN : (config.get(d.name) ?? '');
      console.log(`${d.name}=${value}${s ? `  # ${s.origin}` : ''}`);
    }
    for (const [name, s] of settings)
      if (!brokerConfigDefs.some((d) => d.name === name)) {
        console.log(`${name}=${s.value}  # ${s.origin} (unknown)`);
      }
    return;
  }

  const log = createLogger(
    config.get('logger.level') as LogLevel,
    'gregor',
    config.get('logger.format') as LogFormat,
  );
  for (const w of warnings) log.warn(w);
  const given: Record<string, string> = {};
  for (const [name, s] of settings) {
    given[name] = `${brokerConfigDef(name)?.sensitive ? HIDDEN : s.value} (${s.origin})`;
  }
  log.info({ settings: given, configFile: args.configFile }, 'configuration');

  const broker = new Broker(config, log);
  let admin: AdminServer | null = null;
  // Signal handlers go in before anything starts: a SIGTERM that arrives while the logs recover,
  // or just after 'listening' is printed, stops the broker gracefully instead of killing it.
  let started = false;
  let stopSignal: string | null = null;
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    broker
      .stop()
      .then(() => admin?.close())
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  const onSignal = (signal: string) => {
    if (stopSignal !== null) return;
    stopSignal = signal;
    if (started) shutdown(signal);
    else log.info({ signal }, 'stop requested while starting; stopping once started');
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    // The admin server comes first, so /health answers and /ready says 503 during recovery.
    // The admin server is off by default (admin.listener empty): its modules load only when set.
    if ((config.get('admin.listener') ?? '').trim() !== '') {
      const { startAdmin } = await import('../admin/server.js');
      admin = await startAdmin(broker, log);
    }
    await broker.start();
  } catch (err) {
    log.fatal({ err }, `broker failed to start: ${err instanceof Error ? err.message : String(err)}`);
    await admin?.close();
    await broker.stop().catch(() => {});
    process.exit(EXIT_START_FAILED);
  }
  const startupMs = Math.round(process.uptime() * 1000);
  broker.onFirstConnection(() => {
    log.info({ sinceStartMs: Math.round(process.uptime() * 1000) }, 'first connection accepted');
  });
  const listener = config.list('listeners')[0] ?? '';
  log.info(
    {
      host: /:\/\/(\[[^\]]*\]|[^:]*):/.exec(listener)?.[1] ?? '',
      port: broker.ports[0],
      ports: broker.ports,
      dataDir: config.logDirs()[0],
      adminUrl: admin?.url ?? null,
      adminPort: admin?.port ?? null,
      startupMs,
    },
    'listening',
  );
  started = true;
  if (stopSignal !== null) shutdown(stopSignal);
}
