/**
 * A storm end to end: a real Icinga2, a relay with its real IRC backend, a real InspIRCd (fast
 * limits), and a second IRC client watching the channel. 500 services created at runtime go
 * CRITICAL within a few seconds, then recover; the channel gets a handful of grouped lines each
 * time, and the counts in them (grouped lines, single lines, suppression notices) add up to 500.
 */
import t, { type Test } from 'tap';
import { startIcinga2, TEST_HOSTS } from '../harness/icinga2.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { ircChat, relayConfig, startedRelay, waitUntil } from '../commands/helpers.js';

const NICK = 'icinga-relay';
const SERVICES = 500;
/** Concurrent API requests while creating services and submitting results. */
const CONCURRENCY = 8;

t.setTimeout(150_000);

/** Runs `work` over `items`, `concurrency` at a time. */
async function pooled<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));

// svc000..svc499 spread over the harness's 4 hosts: more hosts than storm.host_lines (3), so
// each window's services go in one line across hosts.
const objects = Array.from({ length: SERVICES }, (_, i) => `${TEST_HOSTS[i % TEST_HOSTS.length]}!svc${String(i).padStart(3, '0')}`);

const createdIn = await (async () => {
  const started = Date.now();
  await pooled(objects, CONCURRENCY, async (object) => {
    const create = () =>
      icinga.api('PUT', `/v1/objects/services/${encodeURIComponent(object)}`, {
        attrs: { check_command: 'passive', enable_active_checks: false, max_check_attempts: 1 },
      });
    let answer = await create();
    // Icinga2 2.14 answers concurrent object creation now and then with 503 "Icinga is reloading" (no reload under way).
    for (let retry = 0; answer.status === 503 && retry < 50; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await create();
    }
    if (answer.status !== 200) throw new Error(`creating ${object}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
  });
  return Date.now() - started;
})();
t.comment(`created ${SERVICES} services in ${createdIn} ms (${CONCURRENCY} requests at a time)`);

const config = relayConfig(
  icinga,
  `${ircChat(ircd.port, NICK)}# Icinga2 2.13 delivers events in ~5 s ticks: a window longer than a tick keeps a burst split
# across two ticks in one group. The rest is the default noise control.
noise:
  storm: { window: 8s }
`,
);
await startedRelay(t, config);

const watcher = await IrcTestClient.connect({ port: ircd.port, nick: 'watcher' });
t.teardown(() => watcher.quit());
await watcher.join('#ops');

const relayLines = () => watcher.messages.filter((message) => message.nick === NICK && watcher.client.caseCompare(message.target, '#ops')).map((message) => message.text);

interface Accounting {
  /** Events each line stands for, by state. */
  counts: Map<string, number>;
  /** Objects named by single lines. */
  singles: string[];
  /** Lines that are none of the known kinds. */
  unknown: string[];
}

/** Reads what the lines stand for: grouped lines, single lines and suppression notices, all counted by state. */
function account(lines: readonly string[]): Accounting {
  const counts = new Map<string, number>();
  const add = (state: string, count: number) => counts.set(state, (counts.get(state) ?? 0) + count);
  const singles: string[] = [];
  const unknown: string[] = [];
  for (const referenced of lines) {
    // A single report shows its problem's reference first (#12 CRITICAL ...).
    const line = referenced.replace(/^#\d+ /, '');
    let match: RegExpMatchArray | null;
    if ((match = line.match(/^(\d+) services? ([A-Z]+) on \d+ hosts(:|$)/)) || (match = line.match(/^\S+: (\d+) services? ([A-Z]+)(:|$)/))) {
      add(match[2], Number(match[1]));
    } else if ((match = line.match(/^\.\.\. \d+ more events? suppressed: (.+)$/))) {
      for (const part of match[1].split(', ')) {
        const [count, state] = part.split(' ');
        add(state, Number(count));
      }
    } else if ((match = line.match(/^([A-Z]+) (\S+!svc\d{3})\b/)) || (match = line.match(/^\[(?:PROBLEM|RECOVERY)\] (\S+!svc\d{3}) is ([A-Z]+)/))) {
      const [state, object] = match[0].startsWith('[') ? [match[2], match[1]] : [match[1], match[2]];
      add(state, 1);
      singles.push(object);
    } else {
      unknown.push(line);
    }
  }
  return { counts, singles, unknown };
}

/** Drives every service to `exitStatus`, then waits until the lines since `from` account for all of them; answers them and the time taken. */
async function storm(t: Test, exitStatus: number, state: string, from: number) {
  const started = Date.now();
  await pooled(objects, CONCURRENCY, (object) => icinga.processCheckResult(object, exitStatus, `${state} - storm test`));
  const drivenIn = Date.now() - started;
  const lines = () => relayLines().slice(from);
  await waitUntil(() => (account(lines()).counts.get(state) ?? 0) >= SERVICES || undefined, 60_000, () => `${SERVICES} ${state} accounted for; the channel:\n${lines().join('\n')}`);
  const complete = Date.now() - started;
  // Late repeats (notifications of the same changes) must add nothing: wait two more delivery ticks.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  // Timings are the shared machine's as much as the relay's: reported, never judged (waitUntil bounds the wait).
  t.comment(`${SERVICES} results submitted in ${drivenIn} ms; all ${state} accounted for in the channel after ${complete} ms; lines: ${JSON.stringify(lines())}`);
  return lines();
}

/** What every storm must show: a handful of lines, mostly grouped, counts adding up to 500, only our objects named, none twice. */
function checkAccounting(t: Test, lines: readonly string[], state: string) {
  const { counts, singles, unknown } = account(lines);
  t.same(unknown, [], 'every line is a grouped line, a single report or a suppression notice');
  t.same([...counts], [[state, SERVICES]], `the counts add up to ${SERVICES} ${state}, nothing else`);
  t.ok(lines.length <= 10, `a handful of lines (${lines.length})`);
  t.ok(lines.some((line) => new RegExp(`^\\d+ services ${state} on ${TEST_HOSTS.length} hosts: `).test(line)), 'grouped across hosts');
  t.ok(
    singles.every((object) => objects.includes(object)),
    'single lines name our objects',
  );
  t.equal(new Set(singles).size, singles.length, 'no object reported twice');
  // Per host: the `host (N)` counts of the lines across hosts, the per-host lines and the single lines.
  const perHost = new Map<string, number>();
  const add = (host: string, count: number) => perHost.set(host, (perHost.get(host) ?? 0) + count);
  for (const line of lines) {
    const across = line.match(/^\d+ services? [A-Z]+ on \d+ hosts: (.+)$/);
    if (across) for (const [, host, count] of across[1].matchAll(/(?:^|, )([^,( ]+) \((\d+)\)/g)) add(host, Number(count));
    const oneHost = line.match(/^([^\s:]+): (\d+) services? [A-Z]+/);
    if (oneHost) add(oneHost[1], Number(oneHost[2]));
  }
  for (const object of singles) add(object.split('!')[0], 1);
  t.same(Object.fromEntries(perHost), Object.fromEntries(TEST_HOSTS.map((host) => [host, SERVICES / TEST_HOSTS.length])), 'every host\'s services accounted for');
}

t.test(`${SERVICES} services go CRITICAL within seconds: a handful of grouped lines, counts adding up to ${SERVICES}`, async (t) => {
  const lines = await storm(t, 2, 'CRITICAL', relayLines().length);
  checkAccounting(t, lines, 'CRITICAL');
  // The first line of a storm goes out at once, alone.
  t.match(lines[0], /^#\d+ (CRITICAL \S+!svc\d{3}|\[PROBLEM\] \S+!svc\d{3} is CRITICAL)/, 'the first report goes out alone, with its reference');
});

t.test(`all ${SERVICES} recover: grouped recovery lines, counts adding up to ${SERVICES}`, async (t) => {
  const lines = await storm(t, 0, 'OK', relayLines().length);
  checkAccounting(t, lines, 'OK');
});
