/** The icinga section: the API endpoints, how the relay authenticates, what it subscribes to. */

import { z } from 'zod';
import { DEFAULT_EVENT_TYPES, EVENT_TYPES, type EventType } from '../icinga/event-types.js';
import { expecting, isMapping, type FileContents, type SchemaHelpers } from './schema.js';

export type IcingaAuth =
  | { kind: 'password'; username: string; password: string; passwordFile?: string }
  | { kind: 'certificate'; username?: string; cert: string; key: string; certFile: string; keyFile: string };

export interface IcingaConfig {
  /** API endpoints, tried in order. */
  urls: string[];
  /** PEM CA certificates that sign the Icinga2 API certificate; the system CAs when absent. */
  ca?: string;
  caFile?: string;
  auth: IcingaAuth;
  events: EventType[];
  /** An Icinga2 filter expression, passed to the server as is. */
  filter?: string;
  maxLineBytes: number;
  probeIntervalMs: number;
  /** How long one API request (a probe, a catch-up read, a command's action) may take. */
  requestTimeoutMs: number;
  reconnect: { minMs: number; maxMs: number };
}

/** Auth problems from which keys are present, so they show even while other icinga keys are wrong. */
function authProblems(icinga: Record<string, unknown>): string[] {
  const has = (key: string) => icinga[key] !== undefined;
  const password = has('password') || has('password_file');
  const certificate = has('cert_file') || has('key_file');
  const problems: string[] = [];
  if (password && certificate) {
    problems.push(
      'expected either password auth (password / password_file) or client-certificate auth (cert_file + key_file) but found both',
    );
  }
  if (has('password') && has('password_file')) problems.push('expected either password or password_file but found both');
  if (password && !has('username')) problems.push('missing required key "username" (password auth needs it)');
  for (const [key, partner] of [['cert_file', 'key_file'], ['key_file', 'cert_file']]) {
    if (has(key) && !has(partner)) problems.push(`missing required key "${partner}" (${key} needs it)`);
  }
  if (!password && !certificate) {
    problems.push(
      'expected password auth (username with password or password_file) or client-certificate auth (cert_file + key_file) but found neither',
    );
  }
  return problems;
}

interface IcingaKeys {
  username?: string;
  password?: string;
  password_file?: FileContents;
  cert_file?: FileContents;
  key_file?: FileContents;
}

function icingaAuth({ username, password, password_file, cert_file, key_file }: IcingaKeys): IcingaAuth {
  // authProblems() has rejected every other combination, and a rejected refinement stops the transform.
  if (cert_file && key_file) {
    return { kind: 'certificate', username, cert: cert_file.contents, certFile: cert_file.path, key: key_file.contents, keyFile: key_file.path };
  }
  return { kind: 'password', username: username!, password: password ?? password_file!.contents, passwordFile: password_file?.path };
}

export function icingaSection({ httpsUrl, choice, section, pemFile, text, secret, secretFile, duration, reconnectUpTo }: SchemaHelpers) {
  const urls = z
    .union([httpsUrl, z.array(httpsUrl).min(1, { error: 'expected at least one URL but found an empty list' })], {
      error: expecting('an https:// URL or a list of them'),
    })
    .transform((url) => (typeof url === 'string' ? [url] : url));

  const events = z
    .array(choice(EVENT_TYPES), { error: expecting('a list of event types') })
    .min(1, { error: 'expected at least one event type but found an empty list' })
    .superRefine((types, ctx) => {
      types.forEach((type, index) => {
        if (types.indexOf(type) < index) {
          ctx.addIssue({ code: 'custom', message: `expected each event type once but found ${JSON.stringify(type)} again`, path: [index] });
        }
      });
    })
    .default([...DEFAULT_EVENT_TYPES]);

  const icinga = section({
    url: urls,
    ca_file: pemFile('a CA certificate file (PEM)', 'CA').optional(),
    username: text('a user name').optional(),
    password: secret('password').optional(),
    password_file: secretFile('password').optional(),
    cert_file: pemFile('a client certificate file (PEM)', 'certificate').optional(),
    key_file: pemFile('a private key file (PEM)', 'key').optional(),
    events,
    filter: text('an Icinga2 filter expression').optional(),
    max_line_bytes: z.int({ error: expecting('a positive whole number of bytes') }).positive().default(8 * 1024 * 1024),
    probe_interval: duration.prefault('60s'),
    request_timeout: duration.prefault('10s'),
    // Icinga2 is usually on the same host or LAN: once it is back, the relay should be too, within seconds.
    reconnect: reconnectUpTo('10s'),
  })
    .superRefine(
      (keys, ctx) => {
        for (const message of authProblems(keys)) ctx.addIssue({ code: 'custom', message });
      },
      // Also when other icinga keys are wrong, so all problems show at once; only presence is checked.
      { when: (payload) => isMapping(payload.value) },
    )
    .transform(
      (keys): IcingaConfig => ({
        urls: keys.url,
        ...(keys.ca_file && { ca: keys.ca_file.contents, caFile: keys.ca_file.path }),
        auth: icingaAuth(keys),
        events: keys.events,
        ...(keys.filter !== undefined && { filter: keys.filter }),
        maxLineBytes: keys.max_line_bytes,
        probeIntervalMs: keys.probe_interval,
        requestTimeoutMs: keys.request_timeout,
        reconnect: keys.reconnect,
      }),
    );
  return icinga;
}
