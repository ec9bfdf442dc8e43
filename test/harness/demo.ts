/**
 * The demo behind `npm run demo`: starts a real Icinga2 (the test harness), runs the relay with
 * its embedded default config (console backend), then plays a scenario through the Icinga2 API:
 * a service goes CRITICAL, is acknowledged and put in downtime, then recovers; last, a comment is
 * typed on the relay's console as a chat command. Typed into the demo's terminal, commands
 * (`status web01!http`, `ack web01!http looking`) reach the relay's console too.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startIcinga2, type Icinga2Instance } from './icinga2.js';

// Icinga2 2.13 delivers events in ~5-second ticks: leave each step time to show up.
const STEP_PAUSE_MS = 7000;

function narrate(text: string): void {
  process.stdout.write(`\n--- demo: ${text}\n`);
}

async function action(icinga: Icinga2Instance, name: string, body: Record<string, unknown>): Promise<void> {
  const answer = await icinga.api('POST', `/v1/actions/${name}`, body);
  if (answer.status !== 200) throw new Error(`${name}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
}

narrate('starting a throw-away Icinga2 with its own CA and passive test hosts');
const icinga = await startIcinga2();
const relay = spawn(process.execPath, ['dist/src/cli.js'], {
  // stdin a pipe: the console backend reads commands from it.
  stdio: ['pipe', 'inherit', 'pipe'],
  env: {
    ...process.env,
    ICINGA_RELAY_URL: icinga.url,
    ICINGA_RELAY_CA_FILE: icinga.caFile,
    // The permissions the README recommends: events/*, status/query, objects/query/*, the commands' actions.
    ICINGA_RELAY_USERNAME: icinga.users.relay.username,
    ICINGA_RELAY_PASSWORD: icinga.users.relay.password,
  },
});
const connected = new Promise<void>((resolve) => {
  createInterface({ input: relay.stderr! }).on('line', (line) => {
    process.stderr.write(line + '\n');
    if (line.includes('event stream connected')) resolve();
  });
});
const exited = new Promise<number | null>((resolve) => relay.once('exit', resolve));
// What a newcomer types into the demo's terminal goes to the relay's console.
const typing = Boolean(process.stdin.isTTY);
if (typing) process.stdin.pipe(relay.stdin!);

try {
  narrate(`relay started: ${icinga.url}, console backend; waiting for the event stream`);
  await Promise.race([connected, exited.then((code) => Promise.reject(new Error(`the relay exited with ${code}`)))]);
  const now = () => Math.floor(Date.now() / 1000);

  narrate('web01 and web01!http report OK (their first results)');
  await icinga.processCheckResult('web01', 0, 'PING OK - Packet loss = 0%, RTA = 0.21 ms');
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.002 second response time');
  await sleep(STEP_PAUSE_MS);

  narrate('web01!http goes CRITICAL');
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - Unable to open TCP socket: connection refused');
  await sleep(STEP_PAUSE_MS);

  narrate('alice acknowledges it, bob schedules 1 hour of downtime');
  await action(icinga, 'acknowledge-problem', { type: 'Service', service: 'web01!http', author: 'alice', comment: 'nginx crashed, restarting it', notify: true });
  await action(icinga, 'schedule-downtime', { type: 'Service', service: 'web01!http', author: 'bob', comment: 'nginx upgrade', start_time: now(), end_time: now() + 3600, fixed: true });
  await sleep(STEP_PAUSE_MS);

  narrate('web01!http recovers; bob removes the downtime');
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.003 second response time');
  await action(icinga, 'remove-downtime', { type: 'Service', service: 'web01!http', author: 'bob' });
  await sleep(STEP_PAUSE_MS);

  narrate('a chat command on the relay\'s console (try your own: help, status web01!http): comment web01!http nginx restarted, all good');
  relay.stdin!.write('comment web01!http nginx restarted, all good\n');
  await sleep(STEP_PAUSE_MS);
  narrate('done: stopping the relay and Icinga2');
} finally {
  if (typing) {
    process.stdin.unpipe();
    process.stdin.pause();
  }
  relay.kill('SIGTERM');
  await exited;
  await icinga.destroy();
}
