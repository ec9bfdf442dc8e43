/**
 * One conversation per problem in Slack, end to end: the Slack fake (Web API as Slack documents
 * it: chat.postMessage with thread_ts and reply_broadcast, chat.update), a real Icinga2, and a
 * relay with a state directory that is stopped and started in the middle of the problem.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { SlackFake } from '../harness/slack-fake.js';
import { EVENT_WAIT_MS, relayConfig, slackChat, startedRelay, waitUntil } from '../commands/helpers.js';

const OPS = 'C0OPS';
const [icinga, slack] = await Promise.all([startIcinga2(), SlackFake.start()]);
t.teardown(() => Promise.all([icinga.destroy(), slack.close()]));
const stateDir = t.testdir();
const config = relayConfig(
  icinga,
  `${slackChat(slack.apiUrl)}state:
  dir: ${stateDir}
web:
  url: https://mon.example.org/icingaweb2
# Icinga2 2.13 delivers events in ~5 s ticks: a window longer than a tick groups a burst.
noise:
  storm: { window: 8s, group_from: 2 }
`,
);

const inOps = () => slack.posted.filter((post) => post.channel === OPS);
const find = (pattern: RegExp) => () => inOps().find((post) => pattern.test(post.text ?? ''));
const apiCalls = () => slack.calls.filter((call) => call.method === 'chat.postMessage' || call.method === 'chat.update').length;

t.test('CRITICAL → a root with its reference and link; an ack from elsewhere → in the thread, root edited; restart; recovery → same thread, broadcast, root RESOLVED', async (t) => {
  const first = await startedRelay(t, config);
  const callsBefore = apiCalls();
  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - /var 99%');
  const root = await waitUntil(find(/^#\d+ CRITICAL web02!disk/), EVENT_WAIT_MS, 'the root');
  t.equal(root.threadTs, undefined, 'the root is in the channel');
  const ref = /^#(\d+)/.exec(root.text!)![1];
  t.match(root.blocks, [
    { type: 'section' },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `<https://mon.example.org/icingaweb2/icingadb/service?name=disk&host.name=web02|#${ref} web02!disk>` }] },
  ]);

  const answer = await icinga.api('POST', '/v1/actions/acknowledge-problem', { type: 'Service', filter: 'service.__name == "web02!disk"', author: 'carol', comment: 'swapping the disk' });
  t.equal(answer.status, 200);
  const ack = await waitUntil(find(/carol acknowledged web02!disk/), EVENT_WAIT_MS, 'the acknowledgement');
  t.equal(ack.threadTs, root.ts, 'the acknowledgement goes in the thread');
  t.equal(ack.params.reply_broadcast, undefined, 'and stays there');
  await waitUntil(() => slack.updated.find((update) => update.ts === root.ts), EVENT_WAIT_MS, 'the root edited');
  t.match(slack.current(OPS, root.ts!)?.text, /\(acknowledged by carol\)$/, 'the root says who is on it');

  await first.relay.stop();
  await startedRelay(t, config);
  await icinga.processCheckResult('web02!disk', 0, 'DISK OK');
  const recovery = await waitUntil(find(/OK web02!disk/), EVENT_WAIT_MS, 'the recovery');
  t.match(recovery.text, new RegExp(`^#${ref} OK web02!disk`), 'the restarted relay knows the problem');
  t.equal(recovery.threadTs, root.ts, 'the recovery goes in the same thread');
  t.equal(recovery.params.reply_broadcast, 'true', 'and is shown in the channel too');
  await waitUntil(() => /^RESOLVED after /.test(slack.current(OPS, root.ts!)?.text ?? '') || undefined, EVENT_WAIT_MS, 'the root resolved');
  t.match(slack.current(OPS, root.ts!)?.blocks, [{ type: 'section', text: { text: new RegExp(`^:white_check_mark: \\*RESOLVED after .+\\* \\(#${ref}\\)$`) } }, { type: 'context' }]);
  // One problem from CRITICAL to recovery, with an acknowledgement from elsewhere on the way.
  const conversation = inOps().filter((post) => post.ts === root.ts || post.threadTs === root.ts);
  const posts = conversation.length;
  t.match(
    conversation.map((post) => post.text),
    [/CRITICAL web02!disk/, /carol acknowledged/, /Acknowledgement cleared for web02!disk/, /OK web02!disk/],
    'root, acknowledgement, its end (Icinga2 ends a sticky ack on recovery), recovery',
  );
  t.comment(`Slack API calls for the problem: ${apiCalls() - callsBefore} (chat.postMessage ${posts}, chat.update ${slack.updated.filter((update) => update.ts === root.ts).length})`);
});

t.test('a storm line is the root of what it names; a recovery of another object is never threaded under it', async (t) => {
  await startedRelay(t, config);
  const from = inOps().length;
  // A burst: the first goes out alone, the other two of the same state are grouped.
  for (const service of ['http', 'disk', 'load']) await icinga.processCheckResult(`db01!${service}`, 2, `${service} CRITICAL`);
  const summary = await waitUntil(() => inOps().slice(from).find((post) => /^db01: 2 services CRITICAL/.test(post.text ?? '')), EVENT_WAIT_MS, 'the storm line');
  const single = inOps().slice(from).find((post) => /CRITICAL db01!/.test(post.text ?? '') && post !== summary)!;
  const named = /^db01: 2 services CRITICAL: (\w+), (\w+)/.exec(summary.text!)!.slice(1);
  await icinga.processCheckResult(`db01!${named[0]}`, 0, 'fine again');
  const recovery = await waitUntil(() => inOps().slice(from).find((post) => new RegExp(`OK db01!${named[0]}`).test(post.text ?? '')), EVENT_WAIT_MS, 'the recovery');
  t.equal(recovery.threadTs, summary.ts, 'under the storm line that named it');
  t.notOk(slack.updated.some((update) => update.ts === summary.ts), 'a storm line is not edited for one of its objects');
  const lone = /db01!(\w+)/.exec(single.text!)![1];
  await icinga.processCheckResult(`db01!${lone}`, 0, 'fine again');
  const loneRecovery = await waitUntil(() => inOps().slice(from).find((post) => new RegExp(`OK db01!${lone}`).test(post.text ?? '')), EVENT_WAIT_MS, 'the lone one recovered');
  t.equal(loneRecovery.threadTs, single.ts, 'under its own root, not the storm line');
});
