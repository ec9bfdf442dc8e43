/**
 * A real, throw-away Prosody for the XMPP tests: Debian's prosody 0.12, a self-contained config
 * under one temp dir, accounts made with prosodyctl, a MUC component, and optionally STARTTLS
 * with a certificate from a test CA. Facts it relies on are in shared/chat-servers-notes.md.
 * Also a watcher: a second real client that joins rooms and records what it receives.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml, type Element } from '@xmpp/client-core';
import type { IqCaller } from '@xmpp/iq/caller.js';
import { createXmppClient } from '../../src/chat/xmpp/backend.js';
import { killChild, stopChild } from './daemon.js';
import { freePorts, makeCertificates } from './icinga2.js';

const run = promisify(execFile);

export const PROSODY_BIN = '/usr/bin/prosody';
export const PROSODYCTL_BIN = '/usr/bin/prosodyctl';
export const XMPP_DOMAIN = 'localhost';
export const MUC_DOMAIN = 'conference.localhost';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const JOIN_WAIT_MS = 5_000;

export interface XmppAccount {
  /** Bare JID: name@localhost. */
  jid: string;
  username: string;
  password: string;
}

export interface ProsodyOptions {
  /** Offer STARTTLS (and direct TLS on a second port) with a certificate for "localhost" from a test CA, and require it. */
  tls?: boolean;
  /** Accounts to create before the server starts. */
  accounts?: string[];
}

export interface ProsodyInstance {
  dir: string;
  port: number;
  /** xmpp://127.0.0.1:PORT */
  service: string;
  /** xmpps://127.0.0.1:PORT2, direct TLS; only with `tls`. */
  directTlsService?: string;
  /** PEM of the CA that signed the server certificate; only with `tls`. */
  ca?: string;
  accounts: Record<string, XmppAccount>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: clients get no stream close), then waits for the exit; rooms' history is lost. */
  kill(): Promise<void>;
  /** Starts the server again with the same directory, port, accounts and persistent rooms. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

function prosodyConfig(dir: string, port: number, tls: boolean, directTlsPort: number): string {
  const certs = join(dir, 'certs');
  return `
-- Everything under ${dir}: nothing of the system's prosody is used.
run_as_root = true
pidfile = "${join(dir, 'prosody.pid')}"
data_path = "${join(dir, 'data')}"
certificates = "${certs}"
log = { info = "${join(dir, 'prosody.log')}" }
interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }
c2s_direct_tls_ports = { ${tls ? directTlsPort : ''} }
s2s_ports = { }
http_ports = { }
https_ports = { }
-- offline: 1:1 messages to an account that is away wait for its next login, marked with <delay>.
-- motd: a message from the server itself (no local part) at every login.
modules_enabled = { "roster", "saslauth", "disco", "ping", "posix", "offline", "motd"${tls ? ', "tls"' : ''} }
motd_text = "Welcome to the icinga-relay test server"
authentication = "internal_hashed"
-- The default 10000 makes each login cost ~1.1 s of SCRAM in JavaScript; 128 costs ~50 ms.
default_iteration_count = 128
c2s_require_encryption = ${tls}
allow_unencrypted_plain_auth = ${!tls}

VirtualHost "${XMPP_DOMAIN}"
${tls ? `  ssl = { certificate = "${join(certs, 'localhost.crt')}"; key = "${join(certs, 'localhost.key')}" }` : ''}

-- Rooms are semi-anonymous unless their owner configures them otherwise (Prosody's default).
Component "${MUC_DOMAIN}" "muc"
`;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyInstance> {
  if (!existsSync(PROSODY_BIN)) throw new Error(`${PROSODY_BIN} is missing: run test/harness/install-packages.sh as root`);
  // The CI cleanup kills leftovers whose command line contains /tmp/icinga-relay-.
  const dir = await mkdtemp(join(tmpdir(), 'icinga-relay-prosody-'));
  mkdirSync(join(dir, 'data'));
  // Prosody wants its certificates directory even when it has no certificate.
  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  const tls = options.tls ?? false;
  if (tls) await makeCertificates(certDir, 'unused-client');
  const [port, directTlsPort] = await freePorts(2);
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, prosodyConfig(dir, port, tls, directTlsPort));

  const accounts: Record<string, XmppAccount> = {};
  await Promise.all(
    (options.accounts ?? []).map(async (username) => {
      const password = `${username}-${Math.random().toString(36).slice(2)}`;
      await run(PROSODYCTL_BIN, ['--config', configFile, 'register', username, XMPP_DOMAIN, password]);
      accounts[username] = { jid: `${username}@${XMPP_DOMAIN}`, username, password };
    }),
  );

  let child: ChildProcess | undefined;
  const logFile = join(dir, 'prosody.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  const start = async (): Promise<void> => {
    const outputFd = openSync(join(dir, 'output.log'), 'a');
    // detached: its own session, so a test runner's signals don't reach it; we stop it by PID.
    child = spawn(PROSODY_BIN, ['--config', configFile, '-F'], { detached: true, stdio: ['ignore', outputFd, outputFd] });
    closeSync(outputFd);
    child.unref();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`prosody exited during start-up:\n${readFileSync(join(dir, 'output.log'), 'utf8').slice(-3000)}\n${log().slice(-3000)}`);
      }
      if (await portAnswers(port)) return;
      await sleep(20);
    }
    throw new Error(`prosody in ${dir} did not listen on port ${port} within 10 s`);
  };

  const stop = () => stopChild(child, 10_000);

  const instance: ProsodyInstance = {
    dir,
    port,
    service: `xmpp://127.0.0.1:${port}`,
    ...(tls && { directTlsService: `xmpps://127.0.0.1:${directTlsPort}`, ca: readFileSync(join(certDir, 'ca.crt'), 'utf8') }),
    accounts,
    stop,
    kill: () => killChild(child),
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

/** Polls until `condition` holds; rejects after timeoutMs with `what` in the message. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface ReceivedMessage {
  /** Full JID: room/nick for room messages. */
  from: string;
  type: string;
  text: string;
  /** Carries <delay>: room history or offline storage. */
  delayed: boolean;
}

/** Another real client: joins rooms, records what it receives, and writes as its own account. */
export interface XmppWatcher {
  account: XmppAccount;
  messages: ReceivedMessage[];
  /** Occupant presences as this client saw them: the real bare JID, or undefined where the room hides it. */
  occupantJids: Map<string, string | undefined>;
  iq: IqCaller;
  /** Joins with history; a room this creates gets the server's default configuration. */
  join(room: string, nick: string): Promise<void>;
  sayInRoom(room: string, text: string): Promise<void>;
  /** A 1:1 message; `type` headline makes it an automated notice. */
  sayTo(jid: string, text: string, type?: 'chat' | 'headline'): Promise<void>;
  /** Resolves with the messages (in order) once `count` of them match. */
  waitForMessages(match: (message: ReceivedMessage) => boolean, count: number, timeoutMs: number): Promise<ReceivedMessage[]>;
  stop(): Promise<void>;
}

export async function startWatcher(server: ProsodyInstance, account: XmppAccount): Promise<XmppWatcher> {
  const { client, iq } = createXmppClient({
    service: server.service,
    jid: account.jid,
    password: account.password,
    ca: server.ca,
    allowPlaintext: server.ca === undefined,
  });
  const messages: ReceivedMessage[] = [];
  const occupantJids = new Map<string, string | undefined>();
  /** The room's answer to a join, by occupant JID: our own presence there, or an error. */
  const joinAnswers = new Map<string, Element>();
  client.on('error', () => {
    // The tests look at what arrives; a dropped watcher shows as missing messages.
  });
  client.on('stanza', (stanza: Element) => {
    const from = stanza.attrs.from ?? '';
    if (stanza.is('message') && stanza.getChildText('body') !== null) {
      messages.push({ from, type: stanza.attrs.type ?? 'normal', text: stanza.getChildText('body')!, delayed: stanza.getChild('delay', 'urn:xmpp:delay') !== undefined });
    } else if (stanza.is('presence')) {
      const mucUser = stanza.getChild('x', NS_MUC_USER);
      if (stanza.attrs.type === undefined && mucUser) occupantJids.set(from, mucUser.getChild('item')?.attrs.jid?.split('/')[0]);
      joinAnswers.set(from, stanza);
    }
  });
  await client.start();
  await client.send(xml('presence'));

  const watcher: XmppWatcher = {
    account,
    messages,
    occupantJids,
    iq,
    async join(room, nick) {
      const occupant = `${room}/${nick}`;
      joinAnswers.delete(occupant);
      await client.send(xml('presence', { to: occupant }, xml('x', { xmlns: NS_MUC })));
      await waitUntil(() => joinAnswers.has(occupant), JOIN_WAIT_MS, `${account.jid} to join ${room} as ${nick}`);
      const answer = joinAnswers.get(occupant)!;
      if (answer.attrs.type === 'error') throw new Error(`${account.jid} could not join ${room} as ${nick}: ${answer.toString()}`);
      const statuses = answer.getChild('x', NS_MUC_USER)?.getChildren('status').map((status) => status.attrs.code) ?? [];
      if (statuses.includes('201')) {
        // An instant room: the server's defaults, which on Prosody hide real JIDs from non-moderators.
        await iq.set(xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })), room);
      }
    },
    async sayInRoom(room, text) {
      await client.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, text)));
    },
    async sayTo(jid, text, type = 'chat') {
      await client.send(xml('message', { to: jid, type }, xml('body', {}, text)));
    },
    async waitForMessages(match, count, timeoutMs) {
      const matching = () => messages.filter(match);
      await waitUntil(() => matching().length >= count, timeoutMs, `${count} messages at ${account.jid}; got ${JSON.stringify(matching())}`);
      return matching();
    },
    async stop() {
      await client.stop().catch(() => {});
    },
  };
  return watcher;
}
