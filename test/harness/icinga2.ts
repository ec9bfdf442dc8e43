/**
 * A real, throw-away Icinga2 daemon for tests and the demo: Debian's icinga2-bin, a
 * self-contained config under one temp dir, its own CA, API users with full and restricted
 * permissions, passive hosts and services, and notification objects so Notification events fire.
 * Facts it relies on are in shared/icinga2-notes.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { stopChild, waitForExit } from './daemon.js';

const run = promisify(execFile);

/** Debian's package on the host by default; ICINGA2_BIN names another, such as the 2.14 root's wrapper (test/harness/icinga2-root.sh). */
export const DEFAULT_ICINGA2_BIN = '/usr/sbin/icinga2';
export const ICINGA2_BIN = process.env.ICINGA2_BIN || DEFAULT_ICINGA2_BIN;

export interface PasswordUser {
  username: string;
  password: string;
}

export interface ApiAnswer {
  status: number;
  json: unknown;
}

/** Hosts every instance has; each gets the services below. Names include non-ASCII on purpose. */
export const TEST_HOSTS = ['web01', 'web02', 'db01', 'routeur-äöü'] as const;
export const TEST_SERVICES = ['http', 'disk', 'load'] as const;
/** A service that needs 3 failed results to turn HARD, for SOFT state events. */
export const SOFT_SERVICE = 'ntp';
/** A service with flapping detection on and low thresholds, for Flapping events. */
export const FLAPPING_SERVICE = 'flappy';

export interface Icinga2Instance {
  url: string;
  port: number;
  dir: string;
  /** PEM file of the CA that signed the server certificate (SAN localhost, 127.0.0.1). */
  caFile: string;
  users: {
    /** permissions ["*"] */
    full: PasswordUser;
    /** permissions: events/* and objects/query/* only (no status/query: the probe gets 404) */
    restricted: PasswordUser;
    /** what the README tells operators to give the relay: events/*, status/query, objects/query/*, the chat commands' actions/*, filter-expression */
    relay: PasswordUser;
    /** authenticates with a client certificate (CN relay-cert), permissions ["*"] */
    cert: { username: string; certFile: string; keyFile: string };
  };
  pid(): number | undefined;
  /** A request as the full-permission user; the body is sent as JSON. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Submits a passive result for 'host' or 'host!service'; host exit_status may only be 0 or 1. */
  processCheckResult(object: string, exitStatus: number, output: string): Promise<void>;
  /** SIGHUP, then waits until the reloaded daemon answers. */
  reload(): Promise<void>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL to the daemon's process group (umbrella and worker, as systemd kills a unit's cgroup), then waits for the exit: no shutdown, no state saved. */
  kill(): Promise<void>;
  /** Starts the daemon again with the same directory, port and state. */
  start(): Promise<void>;
  /** Stops the daemon and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * `count` distinct free loopback ports. All are held open until all are known: a port closed
 * right away can be handed out again by the next call (it was, as an ircd's client and link port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

export async function ensureIcinga2Installed(): Promise<void> {
  if (existsSync(ICINGA2_BIN)) return;
  if (ICINGA2_BIN !== DEFAULT_ICINGA2_BIN) throw new Error(`ICINGA2_BIN names ${ICINGA2_BIN}, which does not exist (test/harness/icinga2-root.sh builds the 2.14 one)`);
  if (process.getuid?.() !== 0) {
    throw new Error(`${ICINGA2_BIN} is missing: install it as root with "apt-get install icinga2-bin"`);
  }
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'icinga2-bin'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/**
 * An EC P-256 CA, a server certificate and a client certificate. Icinga's own `pki` takes
 * 2-5 s (RSA-4096); openssl EC takes ~50 ms and Icinga2 accepts it.
 */
export async function makeCertificates(certDir: string, clientCn: string): Promise<void> {
  mkdirSync(certDir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=icinga-relay test CA'], certDir);
  writeFileSync(join(certDir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = (name: string, extra: string[]) =>
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', ...extra], certDir);
  await openssl(['req', ...ec, '-keyout', 'localhost.key', '-out', 'localhost.csr', '-subj', '/CN=localhost'], certDir);
  await sign('localhost', ['-extfile', 'server.ext']);
  await openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/CN=${clientCn}`], certDir);
  await sign('client', []);
}

function icingaConfig(port: number, users: Icinga2Instance['users']): string {
  const passive = 'check_command = "passive"\n  enable_active_checks = false\n  max_check_attempts = 1';
  const hosts = TEST_HOSTS.map(
    (name) => `object Host "${name}" {\n  ${passive}\n  vars.team = "${name.startsWith('db') ? 'db' : 'web'}"\n}`,
  ).join('\n');
  const services = TEST_SERVICES.map(
    (name) => `apply Service "${name}" {\n  ${passive}\n  assign where true\n}`,
  ).join('\n');
  return `
const NodeName = "localhost"
const ZoneName = "localhost"
include <itl>

object Endpoint NodeName {}
object Zone ZoneName { endpoints = [ NodeName ] }

object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = ${port}
  accept_config = false
  accept_commands = false
}
object CheckerComponent "checker" {}
object NotificationComponent "notification" {}

object ApiUser "${users.full.username}" {
  password = "${users.full.password}"
  permissions = [ "*" ]
}
object ApiUser "${users.restricted.username}" {
  password = "${users.restricted.password}"
  permissions = [ "events/*", "objects/query/*" ]
}
object ApiUser "${users.relay.username}" {
  password = "${users.relay.password}"
  permissions = [ "events/*", "status/query", "objects/query/*", "actions/acknowledge-problem", "actions/remove-acknowledgement",
    "actions/add-comment", "actions/schedule-downtime", "actions/remove-downtime", "actions/reschedule-check", "filter-expression" ]
}
object ApiUser "${users.cert.username}" {
  client_cn = "${users.cert.username}"
  permissions = [ "*" ]
}

${hosts}
object HostGroup "databases" {
  assign where host.vars.team == "db"
}
${services}
apply Service "${SOFT_SERVICE}" {
  check_command = "passive"
  enable_active_checks = false
  max_check_attempts = 3
  assign where host.name == "web01"
}
apply Service "${FLAPPING_SERVICE}" {
  ${passive}
  enable_flapping = true
  flapping_threshold_low = 5
  flapping_threshold_high = 10
  assign where host.name == "web01"
}

object User "oncall" { enable_notifications = true }
object User "dbadmin" { enable_notifications = true }
object NotificationCommand "relay-test-noop" { command = [ "/bin/true" ] }
/* Two Notification objects per checkable: Icinga2 sends one Notification event for each. */
apply Notification "oncall" to Host {
  command = "relay-test-noop"
  users = [ "oncall" ]
  assign where true
}
apply Notification "oncall" to Service {
  command = "relay-test-noop"
  users = [ "oncall" ]
  assign where true
}
apply Notification "dba" to Service {
  command = "relay-test-noop"
  users = [ "dbadmin" ]
  assign where host.vars.team == "db"
}
`;
}

function daemonDefines(dir: string): string[] {
  const paths: Record<string, string> = {
    RunAsUser: 'root',
    RunAsGroup: 'root',
    ConfigDir: `${dir}/etc`,
    ZonesDir: `${dir}/etc/zones.d`,
    DataDir: `${dir}/data`,
    StatePath: `${dir}/data/icinga2.state`,
    ModAttrPath: `${dir}/data/modified-attributes.conf`,
    LogDir: `${dir}/log`,
    CacheDir: `${dir}/cache`,
    VarsPath: `${dir}/cache/icinga2.vars`,
    ObjectsPath: `${dir}/cache/icinga2.debug`,
    SpoolDir: `${dir}/spool`,
    InitRunDir: `${dir}/run`,
    PidPath: `${dir}/run/icinga2.pid`,
  };
  return Object.entries(paths).map(([key, value]) => `-DConfiguration.${key}=${value}`);
}

export async function startIcinga2(): Promise<Icinga2Instance> {
  await ensureIcinga2Installed();
  const dir = await mkdtemp(join(tmpdir(), 'icinga-relay-icinga2-'));
  for (const sub of ['etc/zones.d', 'data/certs', 'log', 'cache', 'spool', 'run']) mkdirSync(join(dir, sub), { recursive: true });
  const certDir = join(dir, 'data', 'certs');
  const users: Icinga2Instance['users'] = {
    full: { username: 'root', password: `full-${Math.random().toString(36).slice(2)}` },
    restricted: { username: 'restricted', password: `restricted-${Math.random().toString(36).slice(2)}` },
    relay: { username: 'icinga-relay', password: `relay-${Math.random().toString(36).slice(2)}` },
    cert: { username: 'relay-cert', certFile: join(certDir, 'client.crt'), keyFile: join(certDir, 'client.key') },
  };
  await makeCertificates(certDir, users.cert.username);
  const port = await freePort();
  writeFileSync(join(dir, 'etc', 'icinga2.conf'), icingaConfig(port, users));
  const url = `https://127.0.0.1:${port}`;
  const caFile = join(certDir, 'ca.crt');
  const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const authorization = 'Basic ' + Buffer.from(`${users.full.username}:${users.full.password}`).toString('base64');
  let child: ChildProcess | undefined;

  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const response = await request(url + path, {
      method: method as 'GET',
      dispatcher,
      headers: { accept: 'application/json', authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Icinga2 answers some errors as text/html; keep the text.
    }
    return { status: response.statusCode, json };
  };

  const programStart = async (): Promise<number | undefined> => {
    try {
      const answer = await api('GET', '/v1/status/IcingaApplication');
      const results = (answer.json as { results?: { status?: { icingaapplication?: { app?: { program_start?: number } } } }[] }).results;
      return results?.[0]?.status?.icingaapplication?.app?.program_start;
    } catch {
      return undefined;
    }
  };

  const waitUntilAnswering = async (differentFrom?: number): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        const log = readFileSync(join(dir, 'log', 'daemon.log'), 'utf8');
        throw new Error(`icinga2 exited during start-up:\n${log.slice(-3000)}`);
      }
      const started = await programStart();
      if (started !== undefined && started !== differentFrom) return;
      await sleep(50);
    }
    throw new Error(`icinga2 in ${dir} did not answer on ${url} within 30 s`);
  };

  const start = async (): Promise<void> => {
    const logFd = openSync(join(dir, 'log', 'daemon.log'), 'a');
    // detached: its own session, so a test runner's signals don't reach it; we stop it by PID.
    child = spawn(ICINGA2_BIN, ['daemon', '-c', join(dir, 'etc', 'icinga2.conf'), ...daemonDefines(dir)], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    child.unref();
    await waitUntilAnswering();
  };

  // TERM takes ~2.5 s (measured); a daemon still there after 15 s is stuck.
  const stop = () => stopChild(child, 15_000);

  const instance: Icinga2Instance = {
    url,
    port,
    dir,
    caFile,
    users,
    pid: () => child?.pid,
    api,
    async processCheckResult(object, exitStatus, output) {
      const isService = object.includes('!');
      const answer = await api('POST', '/v1/actions/process-check-result', {
        type: isService ? 'Service' : 'Host',
        [isService ? 'service' : 'host']: object,
        exit_status: exitStatus,
        plugin_output: output,
      });
      if (answer.status !== 200) throw new Error(`process-check-result ${object}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
    },
    async reload() {
      const before = await programStart();
      child?.kill('SIGHUP');
      await waitUntilAnswering(before);
    },
    stop,
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, 'SIGKILL');
      await waitForExit(child, 5_000);
    },
    start,
    async destroy() {
      await stop();
      await dispatcher.close();
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await start();
  } catch (error) {
    await instance.destroy();
    throw error;
  }
  return instance;
}
