import t from 'tap';
import { CommandArguments, commandLine, parseDurationArgument, parseObject, UsageError } from '../../src/commands/parser.js';

const addressing = { prefix: '!', names: ['icinga-relay', '<@U0BOT>'] };
const inChannel = (text: string) => commandLine({ text, direct: false }, addressing);
const direct = (text: string) => commandLine({ text, direct: true }, addressing);

t.test('in a channel: the prefix or the relay name, anything else is chatter', async (t) => {
  t.equal(inChannel('!ack web01 looking'), 'ack web01 looking');
  t.equal(inChannel('  ! ack web01 looking  '), 'ack web01 looking', 'spaces around are not part of the command');
  t.equal(inChannel('icinga-relay: ack web01 looking'), 'ack web01 looking');
  t.equal(inChannel('Icinga-Relay, status web01'), 'status web01', 'names match without case, as IRC nicks do');
  t.equal(inChannel('@icinga-relay status web01'), 'status web01', 'a mention');
  t.equal(inChannel('@icinga-relay: status web01'), 'status web01');
  t.equal(inChannel('<@U0BOT> status web01'), 'status web01', "a backend's own mention form");
  t.equal(inChannel('ack web01 looking'), undefined);
  t.equal(inChannel('icinga-relay is broken again'), undefined, 'talking about the relay is not addressing it');
  t.equal(inChannel('icinga-relayx: status web01'), undefined, 'another name that starts the same');
  t.equal(inChannel('!'), undefined, 'a prefix alone');
  t.equal(inChannel('icinga-relay:   '), undefined, 'a name alone');
  t.equal(commandLine({ text: '?status web01', direct: false }, { prefix: '?', names: [] }), 'status web01', 'another prefix');
  t.equal(commandLine({ text: 'icinga-relay: x', direct: false }, { prefix: '!', names: [''] }), undefined, 'an empty name matches nothing');
});

t.test('in a direct message: the bare command, the prefix or name allowed', async (t) => {
  t.equal(direct('ack web01 looking'), 'ack web01 looking');
  t.equal(direct('!ack web01 looking'), 'ack web01 looking');
  t.equal(direct('icinga-relay: help'), 'help');
  t.equal(direct('   '), undefined);
});

function words(text: string): string[] {
  const args = new CommandArguments(text);
  const found: string[] = [];
  for (let word = args.next(); word !== undefined; word = args.next()) found.push(word);
  return found;
}

t.test('words: spaces separate them, double quotes group them, backslashes escape inside quotes', async (t) => {
  t.same(words('  ack  web01!http\tlooking \n into it '), ['ack', 'web01!http', 'looking', 'into', 'it']);
  t.same(words('status "web 01!disk /var"'), ['status', 'web 01!disk /var']);
  t.same(words('status web01!"disk /var"x'), ['status', 'web01!disk /varx'], 'quotes may start inside a word');
  t.same(words('say "a \\"quoted\\" word" "back\\\\slash"'), ['say', 'a "quoted" word', 'back\\slash']);
  t.same(words('outside C:\\temp\\new stays'), ['outside', 'C:\\temp\\new', 'stays'], 'no escapes outside quotes');
  t.same(words('empty "" word'), ['empty', '', 'word']);
  t.throws(() => words('status "web 01'), new UsageError('a double quote (") is not closed'));
  t.throws(() => words('status "web 01\\"'), new UsageError('a double quote (") is not closed'), 'an escaped quote does not close');
  t.throws(() => words('status "trailing\\'), new UsageError('a double quote (") is not closed'));
});

t.test('peek, rest and end', async (t) => {
  const args = new CommandArguments('web01 for 2h   "looking"  into it ');
  t.equal(args.peek(), 'web01');
  t.equal(args.peek(2), '2h');
  t.equal(args.peek(9), undefined);
  t.equal(args.next(), 'web01');
  t.equal(args.next(), 'for');
  t.equal(args.next(), '2h');
  t.equal(args.rest(), '"looking"  into it', 'free text stays as typed');
  t.equal(args.next(), undefined);
  t.equal(args.rest(), '');
  t.doesNotThrow(() => args.end());
  t.throws(() => new CommandArguments('web01 web02').end(), new UsageError('unexpected "web01 web02" at the end'));
});

t.test('objects: host or host!service; host!* only where allowed', async (t) => {
  t.same(parseObject('web01'), { target: { host: 'web01', object: 'web01' }, allServices: false });
  t.same(parseObject('web01!http'), { target: { host: 'web01', service: 'http', object: 'web01!http' }, allServices: false });
  t.same(parseObject('routeur-äöü!disk /var'), { target: { host: 'routeur-äöü', service: 'disk /var', object: 'routeur-äöü!disk /var' }, allServices: false });
  t.same(parseObject('db01!*', { allowAllServices: true }), { target: { host: 'db01', object: 'db01' }, allServices: true });
  t.same(parseObject('*'), { target: { host: '*', object: '*' }, allServices: false }, 'a host named "*" is just a name to Icinga2');
  t.throws(() => parseObject('db01!*'), new UsageError('db01!* (a host and all its services) works with downtime and undowntime only'));
  const malformed = (word: string) => new UsageError(`"${word}" is not an object: write host or host!service (names cannot contain !)`);
  for (const word of ['a!b!c', '!http', 'web01!', '']) t.throws(() => parseObject(word), malformed(word), word);
  t.throws(() => parseObject('web01\u0007!http'), new UsageError('object names cannot contain control characters'));
  t.throws(() => parseObject(undefined), new UsageError(), 'missing: the dispatcher shows the usage');
});

t.test('durations: every accepted form, and errors that show the forms', async (t) => {
  t.equal(parseDurationArgument('90s'), 90_000);
  t.equal(parseDurationArgument('30m'), 1_800_000);
  t.equal(parseDurationArgument('2h'), 7_200_000);
  t.equal(parseDurationArgument('1d12h'), 129_600_000);
  t.equal(parseDurationArgument('1w'), 604_800_000);
  t.throws(() => parseDurationArgument('2x'), {
    name: 'UsageError',
    message: '"2x" is not a duration (unknown unit "x"): use a whole number and a unit (s, m, h, d, w), largest unit first, e.g. 90s, 30m, 2h, 1d12h, 2w3d',
  });
  t.throws(() => parseDurationArgument('soon'), { message: /"soon" is not a duration \("s" needs a number before it\): use a whole number/ });
  t.throws(() => parseDurationArgument(undefined), new UsageError());
});
