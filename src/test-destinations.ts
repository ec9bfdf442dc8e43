/**
 * `icinga-relay test`: connects the chat backends as the relay would, sends one marked test
 * message to each destination (or the named ones) and tells, per destination, whether it was
 * delivered or why not. Backends queue and retry rather than fail a send, and drop what a server
 * refuses for good after logging it, so "why not" comes from what the backend logged: the first
 * error naming the destination (a refused JOIN, Slack's not_in_channel), else the backend's first
 * error (a refused login; IRC also holds every channel's messages while one cannot be joined),
 * else the time it waited.
 */
import { hostname } from 'node:os';
import type { ChatBackend } from './chat/backend.js';
import { chatDestinations, createBackends, type ChatConfig } from './chat/registry.js';
import { createLogger } from './log.js';
import type { RelayMessage } from './message.js';

export interface DestinationResult {
  destination: string;
  delivered: boolean;
  /** Why it was not delivered, in the backend's words. */
  reason?: string;
}

export interface TestOptions {
  /** Destinations to test; every configured one when empty. */
  destinations: readonly string[];
  /** Secrets the backends' log lines must not show. */
  secrets: readonly string[];
  /** How long a backend may take to connect and deliver, per destination. */
  timeoutMs: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A log line without its time and level: `2026-... ERROR what happened key=value` -> `what happened key=value`. */
const withoutPrefix = (line: string) => line.replace(/^\S+ [A-Z]+ /, '');

export async function testDestinations(chat: ChatConfig, options: TestOptions): Promise<DestinationResult[]> {
  const configured = chatDestinations(chat);
  const wanted = options.destinations.length > 0 ? options.destinations : configured;
  const results = new Map<string, DestinationResult>();
  for (const destination of wanted) {
    if (!configured.includes(destination)) {
      results.set(destination, { destination, delivered: false, reason: `not a destination the chat section configures (${configured.join(', ')})` });
    }
  }
  const backendNames = new Set(wanted.filter((destination) => !results.has(destination)).map((destination) => destination.split(':', 1)[0]));
  const sections = Object.fromEntries(Object.entries(chat).filter(([name]) => backendNames.has(name))) as ChatConfig;

  const errors: string[] = [];
  const listeners = new Set<() => void>();
  const logger = createLogger({
    level: 'warn',
    journald: false,
    write: (line) => {
      if (/^\S+ ERROR /.test(line)) {
        errors.push(line);
        for (const listener of listeners) listener();
      }
    },
  });
  for (const secret of options.secrets) logger.addSecret(secret);
  const refusal = (destination: string): string | undefined => {
    const target = destination.slice(destination.indexOf(':') + 1);
    const names = new RegExp(`=(?:"?)(?:${escapeRegExp(destination)}|${escapeRegExp(target)})"?(?: |$)`);
    const line = errors.find((candidate) => names.test(candidate));
    return line && withoutPrefix(line);
  };
  // The first error is the cause (a refused login); later ones follow from it (the reconnects).
  const firstError = (backend: string): string | undefined => {
    const line = errors.find((candidate) => candidate.includes(` component=${backend}`));
    return line && withoutPrefix(line);
  };
  /** Resolves with the reason once the backend logs an error naming the destination. */
  const refused = (destination: string) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const reason = refusal(destination);
        if (reason === undefined) return;
        listeners.delete(check);
        resolve(reason);
      };
      listeners.add(check);
      check();
    });

  const backends: ChatBackend[] = await createBackends(sections, { logger });
  const message: RelayMessage = {
    eventType: 'Relay',
    severity: 'info',
    text: `icinga-relay test message from ${hostname()}: this destination gets the relay's alerts`,
    timestamp: Date.now() / 1000,
    fields: {},
  };
  try {
    await Promise.all(
      backends.map(async (backend) => {
        const timeLimit = () => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), options.timeoutMs).unref());
        await Promise.race([backend.connect(), timeLimit()]);
        for (const destination of wanted.filter((name) => name.split(':', 1)[0] === backend.name && !results.has(name))) {
          const outcome = await Promise.race([
            // send() may only queue the message: flush() says when the queue has it out.
            backend.send(destination, message).then(
              async () => (((await backend.flush?.(options.timeoutMs)) ?? 0) === 0 ? ('sent' as const) : ('timeout' as const)),
              (error: unknown) => ({ failed: (error as Error).message }),
            ),
            refused(destination).then((reason) => ({ failed: reason })),
            timeLimit(),
          ]);
          // A backend that drops a refused message resolves the send and logs why.
          const reason =
            outcome === 'sent'
              ? refusal(destination)
              : outcome === 'timeout'
                ? (refusal(destination) ?? firstError(backend.name) ?? `not delivered within ${options.timeoutMs / 1000} s`)
                : outcome.failed;
          results.set(destination, reason === undefined ? { destination, delivered: true } : { destination, delivered: false, reason });
        }
      }),
    );
  } finally {
    listeners.clear();
    await Promise.all(backends.map((backend) => backend.close()));
  }
  return wanted.map((destination) => results.get(destination)!);
}
