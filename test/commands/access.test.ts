import t from 'tap';
import { AccessControl, builtInRoles, defaultAccess, type CommandSender } from '../../src/commands/access.js';
import { COMMANDS } from '../../src/commands/index.js';
import type { AccessConfig } from '../../src/config/index.js';

const config: AccessConfig = {
  roles: { ...builtInRoles(COMMANDS), rechecker: ['recheck'] },
  users: {
    'irc:alice': ['operator'],
    'xmpp:bob@example.org': ['rechecker'],
    'slack:UBOT': ['operator'],
    'irc:carol': ['no-such-role'],
  },
  everyone: ['viewer'],
  rooms: { 'irc:#public': ['viewer'], 'irc:#closed': [] },
  authors: { 'irc:alice': 'Alice Example' },
};
const access = new AccessControl(config, COMMANDS);
const command = (name: string) => COMMANDS.find(name)!;

const alice: CommandSender = { identity: 'irc:alice', displayName: 'alice' };
const bob: CommandSender = { identity: 'xmpp:bob@example.org', displayName: 'Bob' };
const dave: CommandSender = { identity: 'irc:dave', displayName: 'dave' };
const unidentified: CommandSender = { displayName: 'alice_' };
const bot: CommandSender = { identity: 'slack:UBOT', displayName: 'deploy-bot', bot: true };

const allowed = (sender: CommandSender, name: string, destination = 'irc:#ops') => access.check(command(name), sender, destination);

t.test('the built-in roles: viewer reads, operator runs every command; help and whoami are always allowed', async (t) => {
  t.same(builtInRoles(COMMANDS), {
    viewer: ['status', 'problems', 'mutes'],
    operator: ['ack', 'unack', 'comment', 'downtime', 'undowntime', 'recheck', 'status', 'problems', 'mute', 'unmute', 'mutes', 'events'],
  });
  t.same(defaultAccess(COMMANDS), { roles: builtInRoles(COMMANDS), users: { console: ['operator'] }, everyone: [], rooms: {}, authors: {} });
  const closed = new AccessControl({ ...config, users: {}, everyone: [] }, COMMANDS);
  t.same(closed.permitted(dave, 'irc:#ops').map((c) => c.name), ['help', 'whoami'], 'nobody gets more by default');
});

t.test('identities get their roles, everyone gets the read-only ones', async (t) => {
  t.same(allowed(alice, 'ack'), { allowed: true });
  t.same(allowed(bob, 'recheck'), { allowed: true });
  t.same(allowed(bob, 'ack'), { allowed: false, reason: 'Bob is not allowed to run ack' });
  t.same(allowed(dave, 'status'), { allowed: true }, 'everyone: viewer');
  t.same(allowed(dave, 'downtime'), { allowed: false, reason: 'dave is not allowed to run downtime' });
  t.same(allowed({ identity: 'irc:carol', displayName: 'carol' }, 'recheck'), { allowed: false, reason: 'carol is not allowed to run recheck' }, 'an unknown role grants nothing');
  t.same(access.rolesOf(bob, 'irc:#ops'), ['rechecker', 'viewer']);
  t.same(access.rolesOf(alice, 'irc:#ops'), ['operator', 'viewer']);
});

t.test('a sender without identity never runs a write command, even with everyone roles that would allow it', async (t) => {
  const generous = new AccessControl({ ...config, everyone: ['operator'] }, COMMANDS);
  t.same(generous.check(command('ack'), unidentified, 'irc:#ops'), {
    allowed: false,
    reason: 'alice_ is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  });
  t.same(generous.check(command('status'), unidentified, 'irc:#ops'), { allowed: true }, 'reading is what everyone is for');
  t.same(generous.check(command('ack'), { displayName: '' }, 'irc:#ops'), {
    allowed: false,
    reason: 'this sender is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  });
});

t.test('a bot never runs a write command, whatever its identity may do', async (t) => {
  t.same(allowed(bot, 'ack'), { allowed: false, reason: 'deploy-bot is not allowed to run ack: bots never change Icinga2' });
  t.same(allowed(bot, 'status'), { allowed: true });
});

t.test('in a room with its own roles, only those apply', async (t) => {
  t.same(allowed(alice, 'ack', 'irc:#public'), { allowed: false, reason: 'alice is not allowed to run ack' });
  t.same(allowed(alice, 'status', 'irc:#public'), { allowed: true });
  t.same(access.rolesOf(alice, 'irc:#public'), ['viewer']);
  t.same(allowed(alice, 'status', 'irc:#closed'), { allowed: false, reason: 'alice is not allowed to run status' });
  t.same(allowed(alice, 'help', 'irc:#closed'), { allowed: true });
  t.same(allowed(alice, 'ack', 'irc:alice'), { allowed: true }, 'a direct message is not a room');
});

t.test('names from chat never reach Object.prototype', async (t) => {
  t.same(access.rolesOf({ identity: 'constructor', displayName: 'x' }, 'toString'), ['viewer']);
  t.same(access.check(command('ack'), { identity: 'constructor', displayName: 'x' }, '__proto__'), { allowed: false, reason: 'x is not allowed to run ack' });
});

t.test('permitted lists what the sender may run here, in registry order', async (t) => {
  t.same(access.permitted(alice, 'irc:#ops').map((c) => c.name), COMMANDS.all().map((c) => c.name));
  t.same(access.permitted(unidentified, 'irc:#ops').map((c) => c.name), ['status', 'problems', 'mutes', 'help', 'whoami']);
});

t.test('authors: the configured name, or "<verified identity> (via <backend>)", never the nick', async (t) => {
  t.equal(access.author(alice, 'irc'), 'Alice Example');
  t.equal(access.author({ ...alice, displayName: 'bob' }, 'irc'), 'Alice Example', 'whatever nick alice has');
  t.equal(access.author(bob, 'xmpp'), 'bob@example.org (via xmpp)', 'the bare JID, not the room nick Bob');
  t.equal(access.author({ ...bob, displayName: 'alice' }, 'xmpp'), 'bob@example.org (via xmpp)', 'bob cannot act as alice by taking her nick');
  t.equal(access.author(dave, 'irc'), 'dave (via irc)', 'the services account');
  t.equal(access.author({ identity: 'slack:U0123', displayName: 'Dave\nWith "quotes"' }, 'slack'), 'U0123 (via slack)', 'the user ID');
  t.equal(access.author({ identity: 'console', displayName: 'root' }, 'console'), 'root (via console)', 'the console: the local login');
});
