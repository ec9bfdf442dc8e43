#!/usr/bin/env -S node --max-semi-space-size=4 --no-flush-bytecode
/**
 * The `icinga-relay` command: run the relay, check a config file, or format recorded events.
 * `main` takes its streams and environment as parameters so tests run it in-process.
 *
 * The V8 flags above (the systemd unit's ExecStart repeats them; a test holds the two together):
 * a 4 MB semi-space keeps the young generation, which a 50,000-event storm fills with garbage,
 * from growing to 32 MB (the storm's peak RSS falls by about 30 MB, at a few percent of
 * throughput); without bytecode flushing, the first alert after a quiet hour does not pay for
 * compiling the pipeline again (V8 drops the bytecode of functions idle across a few GCs).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_YAML, DEFAULT_NOISE, loadConfig, parseConfig, type LoadedConfig } from './config/index.js';
import { DEFAULT_EVENT_TYPES } from './icinga/event-types.js';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from './log.js';
import { eventsIn, Preview, type PreviewSettings } from './preview.js';
import { IcingaConnection } from './icinga/connection.js';
import { checkPermissions, relayPermissions } from './icinga/permissions.js';
import { connectionSettings, Relay } from './relay.js';
import { testDestinations } from './test-destinations.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

const USAGE = `Usage:
  icinga-relay [--config FILE] [--log-level LEVEL]   run the relay
  icinga-relay check-config [--connect] FILE         validate a config file; exit 2 on errors;
                                                     --connect also logs in to each Icinga2 URL
                                                     and names any permission the API user lacks
                                                     (exit 1)
  icinga-relay test [--config FILE] [DESTINATION...]
                                                     connect like the relay and send one test
                                                     message to each destination (or the named
                                                     ones): a line each, delivered or why not;
                                                     exit 1 if any was not
  icinga-relay format [FILE...] [--config FILE] [--width N] [--soft-states]
                      [--noise] [--explain]          print recorded events (FILEs or stdin: one
                                                     JSON event, a JSON array, or NDJSON) as the
                                                     relay would relay them: the event types and
                                                     format settings of --config, or the defaults;
                                                     --noise applies noise control (dedup, storm
                                                     grouping, rate limit) on the events' own
                                                     timestamps; --explain says why an event
                                                     shows nothing
  icinga-relay --help | --version

Without --config, the relay reads $ICINGA_RELAY_CONFIG, and without that its embedded default:
the console backend and an Icinga2 given by ICINGA_RELAY_URL, ICINGA_RELAY_CA_FILE,
ICINGA_RELAY_USERNAME and ICINGA_RELAY_PASSWORD. Every key is documented in config.example.yml.
`;

/** package.json sits above both src/ (run by tests) and dist/src/ (installed). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function configErrorText(error: unknown): string {
  return error instanceof ConfigError ? error.message : `cannot load the configuration: ${(error as Error).message}`;
}

function readConfig(path: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  return path ? loadConfig(path, env) : parseConfig(DEFAULT_CONFIG_YAML, { env });
}

async function checkConfig(path: string | undefined, connect: boolean, io: CliIo): Promise<number> {
  if (!path) {
    io.stderr.write('check-config needs a FILE\n' + USAGE);
    return 2;
  }
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(path, io.env);
  } catch (error) {
    io.stderr.write(configErrorText(error) + '\n');
    return 2;
  }
  const { config, warnings } = loaded;
  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
  const backends = Object.keys(config.chat).join(', ');
  const routes = config.routes ? `; ${config.routes.length} routes` : '';
  io.stdout.write(`${path}: OK (Icinga2 ${config.icinga.urls.join(', ')}; events ${config.icinga.events.join(', ')}; backends ${backends}${routes})\n`);
  return connect ? checkIcingaAccess(config.icinga, io) : 0;
}

/** Logs in to each Icinga2 URL as the relay would and names the permissions the API user lacks. */
async function checkIcingaAccess(icinga: LoadedConfig['config']['icinga'], io: CliIo): Promise<number> {
  const needed = relayPermissions(icinga.events);
  let failed = false;
  for (const url of icinga.urls) {
    const connection = new IcingaConnection(url, connectionSettings(icinga));
    try {
      const report = await checkPermissions(connection, needed);
      if (!report.ok) {
        failed = true;
        io.stdout.write(`Icinga2 ${url}: ${report.problem}\n`);
      } else if (report.missing.length > 0) {
        failed = true;
        const missing = report.missing.map(({ permission, why }) => `${permission} (${why})`).join(', ');
        io.stdout.write(`Icinga2 ${url}: logged in as ${report.user} (${report.version}), but the API user lacks: ${missing}\n`);
      } else {
        io.stdout.write(`Icinga2 ${url}: logged in as ${report.user} (${report.version}) with every permission the relay uses (${needed.length})\n`);
      }
    } finally {
      await connection.close();
    }
  }
  return failed ? 1 : 0;
}

/** How long `test` gives a backend to connect and deliver each message. */
const TEST_TIMEOUT_MS = 20_000;

async function testCommand(path: string | undefined, destinations: string[], io: CliIo): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = readConfig(path, io.env);
  } catch (error) {
    io.stderr.write(configErrorText(error) + '\n');
    return 2;
  }
  const results = await testDestinations(loaded.config.chat, { destinations, secrets: loaded.secrets, timeoutMs: TEST_TIMEOUT_MS });
  for (const { destination, delivered, reason } of results) io.stdout.write(delivered ? `${destination}: delivered\n` : `${destination}: not delivered: ${reason}\n`);
  return results.every((result) => result.delivered) ? 0 : 1;
}

/** Formats recorded events offline with the relay's own pipeline; parts that are not events are reported and skipped. */
async function formatEvents(files: string[], settings: PreviewSettings, io: CliIo): Promise<number> {
  let bad = 0;
  const preview = new Preview(
    settings,
    {
      line: (text) => io.stdout.write(text + '\n'),
      problem: (where, text) => {
        bad++;
        io.stderr.write(`${where}: ${text}\n`);
      },
    },
    createLogger({ level: 'warn', write: (line) => io.stderr.write(line + '\n') }),
  );
  const inputs = files.length > 0 ? files : [undefined];
  for (const file of inputs) {
    let text: string;
    try {
      text = file ? readFileSync(file, 'utf8') : await readAll(io.stdin);
    } catch (error) {
      io.stderr.write(`cannot read ${file ?? 'stdin'}: ${(error as Error).message}\n`);
      return 2;
    }
    for (const located of eventsIn(file ?? 'stdin', text)) preview.add(located);
  }
  preview.end();
  return bad > 0 ? 1 : 0;
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs until SIGTERM or SIGINT, which stop reading events, give the outgoing queues up to
 * shutdown.flush (5 s by default) to drain, say goodbye and exit 0. SIGHUP reopens the audit file and
 * re-reads the config: an invalid one leaves the running relay as it is; a valid one replaces it,
 * keeping the chat connections whose config block did not change.
 */
async function runRelay(path: string | undefined, level: LogLevel | undefined, io: CliIo): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = readConfig(path, io.env);
  } catch (error) {
    io.stderr.write(configErrorText(error) + '\n');
    if (!path) io.stderr.write('(no --config given: the embedded default needs the variables named in --help)\n');
    return 2;
  }
  const write = (line: string) => io.stderr.write(line + '\n');
  const makeLogger = (config: LoadedConfig): Logger => {
    const logger = createLogger({ level: level ?? config.config.log.level, write });
    for (const secret of config.secrets) logger.addSecret(secret);
    for (const warning of config.warnings) logger.warn(warning);
    return logger;
  };
  let logger = makeLogger(loaded);
  let relay: Relay;
  try {
    relay = await Relay.create(loaded.config, { logger });
  } catch (error) {
    // What the config check could not foresee (a backend library refusing its settings): said plainly, no stack trace.
    logger.error('cannot start with this configuration', { config: path ?? 'embedded default', error });
    return 2;
  }
  logger.info('icinga-relay starting', { version: packageVersion(), config: path ?? 'embedded default' });

  // The daemon runs until a signal stops it: while the event stream waits to reconnect, with no
  // chat socket open (console only), nothing else would keep the process alive (it exited 13).
  const alive = setInterval(() => {}, 1 << 30);
  return new Promise<number>((resolve) => {
    // Signals are handled from here on: a chat server that never answers holds start() for START_WAIT_MS at most, and the event stream not at all.
    let busy: Promise<void> = relay.start();
    const reload = () => {
      // Whatever becomes of the new config: logrotate sends SIGHUP after moving the audit file.
      relay.reopenFiles();
      busy = busy.then(async () => {
        let next: LoadedConfig;
        try {
          next = readConfig(path, io.env);
        } catch (error) {
          logger.error('reload rejected, the running configuration stays', { errors: configErrorText(error) });
          return;
        }
        logger.info('reloading the configuration');
        const nextLogger = makeLogger(next);
        try {
          relay = await relay.replace(next.config, { logger: nextLogger });
          logger = nextLogger;
        } catch (error) {
          logger.error('reload failed', { error });
        }
      });
    };
    const shutdown = (signal: string) => {
      process.off('SIGHUP', reload);
      logger.info('stopping', { signal });
      // Bounded, whatever hangs (a chat server or Icinga2 that accepts and never answers, a start
      // still waiting for one): past the deadline the process exits with those connections open.
      const deadlineMs = relay.shutdownFlushMs + STOP_GRACE_MS;
      let deadline: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((settle) => (deadline = setTimeout(() => settle('late'), deadlineMs)));
      const stopped = busy.then(() => relay.stop({ flushMs: relay.shutdownFlushMs })).then(() => 'stopped' as const);
      void Promise.race([stopped, late]).then((outcome) => {
        clearTimeout(deadline);
        clearInterval(alive);
        if (outcome === 'late') logger.warn('stopping took longer than shutdown.flush and the goodbyes allow; exiting with connections still open', { deadlineMs });
        resolve(0);
      });
    };
    process.on('SIGHUP', reload);
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

/**
 * Node's option parser explains itself in its own terms ("Unknown option '-v'. To specify a
 * positional argument starting with a '-', place it at the end of the command after '--'..."):
 * said here in the relay's, with the usage below it.
 */
function optionProblem(error: NodeJS.ErrnoException): string {
  // `-c, --config <value>` in Node's text: the long name is the one people look up.
  const option = /option '(?:-\w, )?(-[^' ]+)/i.exec(error.message)?.[1];
  if (option === undefined) return error.message;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${option}` + (option === '-v' ? ' (--version prints the version; --log-level debug logs more)' : '');
  }
  if (/argument missing/.test(error.message)) return `${option} needs a value`;
  if (/does not take an argument/.test(error.message)) return `${option} takes no value`;
  return error.message;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string' },
        width: { type: 'string' },
        'soft-states': { type: 'boolean' },
        explain: { type: 'boolean' },
        noise: { type: 'boolean' },
        connect: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (error) {
    io.stderr.write(`${optionProblem(error as NodeJS.ErrnoException)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    io.stdout.write(`icinga-relay ${packageVersion()}\n`);
    return 0;
  }
  const [command, argument, ...extra] = positionals;
  if (command === 'test') return testCommand(values.config ?? io.env.ICINGA_RELAY_CONFIG, positionals.slice(1), io);
  if ((extra.length > 0 && command !== 'format') || (command === undefined && argument !== undefined)) {
    io.stderr.write(`unexpected arguments: ${positionals.join(' ')}\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'check-config':
      return checkConfig(argument ?? values.config, values.connect ?? false, io);
    case 'format': {
      let settings: PreviewSettings = { width: 400, softStates: false, types: new Set(DEFAULT_EVENT_TYPES), explain: values.explain === true };
      let noise = DEFAULT_NOISE;
      if (values.config) {
        try {
          const { config } = loadConfig(values.config, io.env);
          settings = { ...settings, ...config.format, types: new Set(config.icinga.events), templates: config.templates };
          noise = config.noise ?? DEFAULT_NOISE;
        } catch (error) {
          io.stderr.write(configErrorText(error) + '\n');
          return 2;
        }
      }
      if (values.width !== undefined) {
        settings.width = Number(values.width);
        if (!Number.isInteger(settings.width) || settings.width < 40) {
          io.stderr.write(`--width: expected a whole number of at least 40 but found ${values.width}\n`);
          return 2;
        }
      }
      if (values['soft-states']) settings.softStates = true;
      if (values.noise) settings.noise = noise;
      return formatEvents(positionals.slice(1), settings, io);
    }
    case undefined: {
      const level = values['log-level'];
      if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
        io.stderr.write(`--log-level: expected one of ${LOG_LEVELS.join(', ')} but found ${level}\n`);
        return 2;
      }
      return runRelay(values.config ?? io.env.ICINGA_RELAY_CONFIG, level as LogLevel | undefined, io);
    }
    default:
      io.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

/**
 * What stopping may take beyond shutdown.flush: saying goodbye (IRC QUIT, XMPP unavailable
 * presence, closing the Slack websocket) and closing connections. Then the relay exits anyway.
 */
export const STOP_GRACE_MS = 3_000;

// Through npm's bin symlink argv[1] is the link, so compare real paths.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  // `icinga-relay format ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
  // Now, not once every socket has let go: a stop cut short at its deadline leaves some open. (Output
  // to pipes, files and terminals is written synchronously on Linux, so none is lost.)
  process.exit(code);
}
