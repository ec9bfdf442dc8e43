/**
 * A local IRC network to try the relay on without touching production (README, "Try it with a
 * local IRC server"): the tests' InspIRCd with Atheme services, on a free loopback port, with the
 * services accounts named on the command line (`name:password`). Runs until Ctrl-C, then removes
 * everything. Needs root and Debian's inspircd and atheme-services packages.
 *
 *   node dist/test/harness/local-irc.js icinga-relay:relay-secret alice:alice-secret
 */
import { startIrcd } from './ircd.js';

const accounts = process.argv.slice(2).map((argument) => {
  const [name, password] = argument.split(':');
  if (!name || !password) throw new Error(`expected name:password, found ${argument}`);
  return { name, password };
});
const ircd = await startIrcd();
for (const { name, password } of accounts) await ircd.registerAccount(name, password);
process.stdout.write(
  `IRC server on ${ircd.host}:${ircd.port} (plain text: tls: false); services accounts: ${accounts.map((account) => account.name).join(', ') || 'none'}\n` +
    'Ctrl-C stops it and removes its files.\n',
);
await new Promise<void>((resolve) => process.once('SIGINT', resolve));
await ircd.destroy();
