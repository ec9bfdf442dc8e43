/** mute, unmute and mutes: per destination, role-checked and audited by the dispatcher like every command. */
import t from 'tap';
import { chat, dispatcherWithFakes } from './helpers.js';

const alice = (text: string, destination = 'irc:#ops') => chat(`!${text}`, 'irc:alice', { destination });
const bob = (text: string) => chat(`!${text}`, 'irc:bob');

t.test('mute for a duration, mutes lists it here only, unmute ends it', async (t) => {
  const { say, mutes, clock } = dispatcherWithFakes();
  t.same(await say(alice('mute web* for 2h')), ['muted web* here for 2 hours']);
  t.same(await say(alice('mute db01!disk')), ['muted db01!disk here for 1 hour'], 'the default duration');
  t.same(await say(bob('mutes')), ['db01!disk muted by alice (via irc), 1 hour left', 'web* muted by alice (via irc), 2 hours left']);
  t.same(await say(alice('mutes', 'irc:#noc')), ['nothing is muted here']);
  t.ok(mutes.find('irc:#ops', 'web01!http'));
  t.same(await say(alice('unmute web*')), ['unmuted web* here']);
  t.same(await say(alice('unmute web*')), ['web* is not muted here; mutes lists what is']);
  clock.advance(3_600_000);
  t.same(await say(bob('mutes')), ['nothing is muted here'], 'expired');
});

t.test('mute again replaces the earlier mute of the pattern; more than max_lines are counted', async (t) => {
  const { say } = dispatcherWithFakes({ settings: { maxLines: 2 } });
  await say(alice('mute a for 1h'));
  await say(alice('mute a for 3h'));
  await say(alice('mute b for 2h'));
  await say(alice('mute c for 4h'));
  t.same(await say(bob('mutes')), ['b muted by alice (via irc), 2 hours left', 'a muted by alice (via irc), 3 hours left', '... and 1 more']);
});

t.test('usage errors, and who may mute', async (t) => {
  const { say } = dispatcherWithFakes();
  t.same(await say(alice('mute')), ['usage: mute <pattern> [for <duration>]']);
  t.same(await say(alice('mute web* during 2h')), ['after the pattern, write "for <duration>" or nothing; usage: mute <pattern> [for <duration>]']);
  t.match(await say(alice('mute web* for 2x')), [/is not a duration/]);
  t.same(await say(alice('mute web* for 2h extra')), ['unexpected "extra" at the end; usage: mute <pattern> [for <duration>]']);
  t.same(await say(alice('unmute')), ['usage: unmute <pattern>']);
  t.same(await say(bob('mute web*')), ['bob is not allowed to run mute']);
  t.same(await say(chat('!unmute web*', undefined)), ['mallory is not allowed to run unmute: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)']);
});
