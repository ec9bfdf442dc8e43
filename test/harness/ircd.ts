/**
 * A real, throw-away IRC network for tests: Debian's InspIRCd 3 with Atheme services linked to
 * it (NickServ, SASL), its config and data under one temp dir, on free loopback ports. Facts it
 * relies on are in shared/chat-servers-notes.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChild, stopChild } from './daemon.js';
import { freePorts, makeCertificates } from './icinga2.js';
import { IrcTestClient } from './irc-client.js';
import { watchProcess, type WatchedProcess } from '../helpers/process.js';

const INSPIRCD_BIN = '/usr/sbin/inspircd';
const ATHEME_BIN = '/usr/bin/atheme-services';
const IRC_SERVER_NAME = 'irc.test';
const SERVICES_SERVER_NAME = 'services.test';

export interface IrcdOptions {
  /**
   * InspIRCd's built-in flood limits (a penalty threshold of 10, one command per second, an
   * 8 KiB receive queue) instead of limits no test reaches.
   */
  defaultFloodLimits?: boolean;
  /** Also listen with TLS, on tlsPort, with a certificate signed by a test CA. */
  tls?: boolean;
  /** Offer the IRCv3 account-tag (default true); without it clients must track accounts themselves. */
  accountTag?: boolean;
  /** Offer IRCv3 echo-message (default true). */
  echoMessage?: boolean;
}

export interface IrcdInstance {
  host: string;
  /** Plain-text client port. */
  port: number;
  /** TLS client port, with the tls option. */
  tlsPort?: number;
  /** PEM file of the CA that signed the TLS certificate (SAN localhost, 127.0.0.1), with the tls option. */
  caFile?: string;
  dir: string;
  /** Registers a NickServ account named `name` (also its nick) with this password. */
  registerAccount(name: string, password: string): Promise<void>;
  /** Disconnects the client with this nick, as a network operator's KILL does: the server stays up, with its channel history. */
  killClient(nick: string, reason: string): Promise<void>;
  /** Stops both daemons; clients see the server go away. */
  stop(): Promise<void>;
  /** SIGKILL to InspIRCd (a crash: clients get no ERROR, their connections just end), then the services stop. */
  kill(): Promise<void>;
  /** Starts both daemons again on the same ports, with the same accounts. */
  start(): Promise<void>;
  /** Stops both daemons and removes the directory. */
  destroy(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

function inspircdConfig(dir: string, ports: { client: number; tls?: number; link: number }, linkPassword: string, options: IrcdOptions): string {
  // Without these, tests would wait for flood control; the flood test keeps InspIRCd's defaults.
  const floodLimits = options.defaultFloodLimits ? '' : 'threshold="1000" commandrate="1000000" recvq="65536"';
  const modules = [
    'cap',
    'ircv3',
    'ircv3_capnotify',
    'ircv3_msgid',
    'ircv3_servertime',
    'ircv3_batch',
    'sasl',
    'services_account',
    'spanningtree',
    // Replays a channel's last lines to whoever joins (channel mode +H): what a reconnecting bot must not run again.
    'chanhistory',
    ...(options.accountTag === false ? [] : ['ircv3_accounttag']),
    ...(options.echoMessage === false ? [] : ['ircv3_echomessage']),
    ...(ports.tls ? ['ssl_gnutls'] : []),
  ];
  const certDir = join(dir, 'certs');
  return `
<server name="${IRC_SERVER_NAME}" description="icinga-relay test server" id="001" network="IcingaRelayTest">
<admin name="test" nick="test" email="test@example.test">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/inspircd.log">
<options hostintopic="no">
<security hidesplits="yes">
<bind address="127.0.0.1" port="${ports.client}" type="clients">
${ports.tls ? `<bind address="127.0.0.1" port="${ports.tls}" type="clients" sslprofile="test">` : ''}
<bind address="127.0.0.1" port="${ports.link}" type="servers">
<connect name="main" allow="*" resolvehostnames="no" localmax="100" globalmax="100" fakelag="yes" ${floodLimits}>
${modules.map((name) => `<module name="${name}">`).join('\n')}
${ports.tls ? `<sslprofile name="test" provider="gnutls" certfile="${certDir}/localhost.crt" keyfile="${certDir}/localhost.key" cafile="" crlfile="" dhfile="" requestclientcert="no">` : ''}
<sasl target="${SERVICES_SERVER_NAME}" requiressl="no">
<link name="${SERVICES_SERVER_NAME}" ipaddr="127.0.0.1" port="${ports.link}" allowmask="127.0.0.0/8" sendpass="${linkPassword}" recvpass="${linkPassword}">
<uline server="${SERVICES_SERVER_NAME}" silent="yes">
<chanhistory maxlines="200" notice="no" bots="yes">
<class name="Killers" commands="KILL" privs="" usermodes="" chanmodes="">
<type name="TestOper" classes="Killers">
<oper name="tester" password="${linkPassword}" host="*@*" type="TestOper">
`;
}

function athemeConfig(linkPort: number, linkPassword: string): string {
  const modules = [
    'protocol/inspircd',
    'backend/opensex',
    'crypto/pbkdf2v2',
    'nickserv/main',
    'nickserv/register',
    'nickserv/identify',
    'nickserv/info',
    'nickserv/logout',
    'saslserv/main',
    'saslserv/plain',
  ];
  return `
${modules.map((name) => `loadmodule "modules/${name}";`).join('\n')}
serverinfo {
  name = "${SERVICES_SERVER_NAME}";
  desc = "icinga-relay test services";
  numeric = "00A";
  recontime = 1;
  netname = "IcingaRelayTest";
  hidehostsuffix = "users.test";
  adminname = "test";
  adminemail = "test@example.test";
  registeremail = "noreply@example.test";
  mta = "/bin/true";
  loglevel = { error; info; network; };
  maxlogins = 10;
  maxusers = 10;
  auth = none;
  casemapping = rfc1459;
};
uplink "${IRC_SERVER_NAME}" {
  host = "127.0.0.1";
  password = "${linkPassword}";
  port = ${linkPort};
};
nickserv {
  nick = "NickServ";
  user = "NickServ";
  host = "${SERVICES_SERVER_NAME}";
  real = "Nickname Services";
};
saslserv {
  nick = "SaslServ";
  user = "SaslServ";
  host = "${SERVICES_SERVER_NAME}";
  real = "SASL Authentication Agent";
};
`;
}

/** The server's CAP LS reply, without registering. */
function capabilities(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('CAP LS 302\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const reply = received.split('\r\n').find((line) => / CAP \S+ LS /.test(line));
      if (reply !== undefined) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

/**
 * Atheme announces its SASL mechanisms a moment after it has synched; a client logging in
 * before that fails. The server lists them in CAP LS once they are there.
 */
async function waitForSaslMechanisms(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!/ sasl=\S*PLAIN/.test(await capabilities(port))) {
    if (Date.now() > deadline) throw new Error(`the server on port ${port} offered no SASL PLAIN within ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `command` with core dumps off: InspIRCd 3.15 with ssl_gnutls segfaults on SIGTERM. */
function spawnWithoutCoreDumps(command: string, args: string[]): WatchedProcess {
  return watchProcess('/bin/sh', ['-c', 'ulimit -c 0 && exec "$0" "$@"', command, ...args], { PATH: process.env.PATH });
}

function stopProcess(daemon: WatchedProcess | undefined): Promise<void> {
  return stopChild(daemon?.child, STOP_TIMEOUT_MS);
}

export async function startIrcd(options: IrcdOptions = {}): Promise<IrcdInstance> {
  for (const binary of [INSPIRCD_BIN, ATHEME_BIN]) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run test/harness/install-packages.sh as root`);
  }
  // The CI cleanup kills daemons whose command line holds ${tmpdir}/icinga-relay-: the config path does.
  const dir = await mkdtemp(join(tmpdir(), 'icinga-relay-ircd-'));
  const athemeDir = join(dir, 'atheme');
  mkdirSync(athemeDir);
  const [client, link, tls] = await freePorts(3);
  const ports = { client, link, tls: options.tls ? tls : undefined };
  const linkPassword = `link-${Math.random().toString(36).slice(2)}`;
  if (options.tls) await makeCertificates(join(dir, 'certs'), 'irc-test-client');
  const inspircdConf = join(dir, 'inspircd.conf');
  const athemeConf = join(dir, 'atheme.conf');
  writeFileSync(inspircdConf, inspircdConfig(dir, ports, linkPassword, options));
  writeFileSync(athemeConf, athemeConfig(ports.link, linkPassword));
  let inspircd: WatchedProcess | undefined;
  let atheme: WatchedProcess | undefined;

  const logText = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  const failure = (what: string, error: unknown) =>
    new Error(`${what}: ${(error as Error).message}\ninspircd.log:\n${logText('inspircd.log').slice(-3000)}\natheme.log:\n${logText('atheme.log').slice(-3000)}`);

  const start = async (): Promise<void> => {
    inspircd = spawnWithoutCoreDumps(INSPIRCD_BIN, ['--config', inspircdConf, '--nofork', '--nopid', '--runasroot']);
    try {
      await inspircd.waitFor('stdout', /InspIRCd is now running/, START_TIMEOUT_MS);
    } catch (error) {
      throw failure('inspircd did not start', error);
    }
    atheme = spawnWithoutCoreDumps(ATHEME_BIN, ['-n', '-c', athemeConf, '-D', athemeDir, '-l', join(dir, 'atheme.log'), '-p', join(dir, 'atheme.pid')]);
    try {
      // Accounts and SASL work once the services have sent their state to the server.
      await atheme.waitFor('stderr', /finished synching/, START_TIMEOUT_MS);
      await waitForSaslMechanisms(ports.client);
    } catch (error) {
      throw failure('atheme did not link', error);
    }
  };

  const stop = async (): Promise<void> => {
    // Services first: they save their database on a clean exit.
    await stopProcess(atheme);
    await stopProcess(inspircd);
  };

  const instance: IrcdInstance = {
    host: '127.0.0.1',
    port: ports.client,
    ...(ports.tls && { tlsPort: ports.tls, caFile: join(dir, 'certs', 'ca.crt') }),
    dir,
    async registerAccount(name, password) {
      const client = await IrcTestClient.connect({ port: ports.client, nick: name });
      try {
        const reply = client.waitForNotice('NickServ', /registered/, 10_000);
        client.say('NickServ', `REGISTER ${password} ${name}@example.test`);
        await reply;
      } finally {
        await client.quit();
      }
    },
    async killClient(nick, reason) {
      const client = await IrcTestClient.connect({ port: ports.client, nick: `oper${Math.floor(Math.random() * 1e6)}` });
      try {
        const opered = client.waitForLine(/ 381 /, 10_000);
        client.raw(`OPER tester ${linkPassword}`);
        await opered;
        // The server handles our lines in order: the KILL is done before our QUIT.
        client.raw(`KILL ${nick} :${reason}`);
      } finally {
        await client.quit();
      }
    },
    stop,
    async kill() {
      await killChild(inspircd?.child);
      await stopProcess(atheme);
    },
    start,
    async destroy() {
      await stop();
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
