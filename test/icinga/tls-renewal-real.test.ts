/**
 * Icinga2 renews its CA and certificates; the built relay (`dist/src/cli.js`) follows without a
 * restart. Against the real daemon: its CA and server certificate are replaced and it reloads;
 * with the old CA in ca_file the relay refuses, saying the certificate is not trusted; once the
 * file holds the new CA, the next reconnect uses it; and a SIGHUP of the relay picks a renewed
 * file up at once.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { makeCertificates, startIcinga2, type Icinga2Instance } from '../harness/icinga2.js';
import { relayProcesses } from '../helpers/process.js';
import { relayConfigFile } from '../commands/helpers.js';

/** A new CA and server certificate for the daemon, which it loads on its next reload (sent here). */
async function renewDaemonCertificates(icinga: Icinga2Instance, name: string): Promise<string> {
  const dir = join(icinga.dir, name);
  await makeCertificates(dir, 'unused');
  const certs = join(icinga.dir, 'data', 'certs');
  for (const file of ['ca.crt', 'localhost.crt', 'localhost.key']) copyFileSync(join(dir, file), join(certs, file));
  // The harness's own client trusts the old CA: no icinga.reload(), which asks the API.
  process.kill(icinga.pid()!, 'SIGHUP');
  return join(dir, 'ca.crt');
}

function configFile(icinga: Icinga2Instance, caFile: string, reconnect: string): string {
  return relayConfigFile(icinga, [`  ca_file: ${caFile}`, `  reconnect: ${reconnect}`], ['chat:', '  console:', '    timestamps: never']);
}

t.test('a renewed CA: refused with the old one, used on the next reconnect, and at once on SIGHUP', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const relayDir = join(icinga.dir, 'relay');
  mkdirSync(relayDir);
  const caFile = join(relayDir, 'ca.crt');
  copyFileSync(icinga.caFile, caFile);
  const relay = relayProcesses(t, configFile(icinga, caFile, '{ min: 1s, max: 2s }'))();
  await relay.waitFor('stderr', /event stream connected/, 20_000);

  // The daemon's CA is renewed; the relay's file still holds the old one.
  let from = relay.stderr.length;
  const newCa = await renewDaemonCertificates(icinga, 'renewed-1');
  const refused = await relay.waitFor('stderr', /certificate not trusted/, 30_000, from);
  t.match(refused, /ERROR .*certificate not trusted: Icinga2's certificate chain does not lead to the CA in icinga\.ca_file \/\S+: is it the CA of this Icinga2 .*\(.*(self[- ]signed|unable to (get|verify)).*\)/i, 'refused, saying the certificate is not trusted by the CA in the file it names');

  from = relay.stderr.length;
  copyFileSync(newCa, caFile);
  t.match(await relay.waitFor('stderr', /re-read renewed TLS files for the event stream/, 30_000, from), new RegExp(`files=${caFile.replace(/[.]/g, '\\.')}`));
  await relay.waitFor('stderr', /event stream connected/, 30_000, from);
  t.pass('the next reconnect used the new CA, no restart');

  // A long reconnect delay from now on: only the SIGHUP can bring the stream back soon.
  configFile(icinga, caFile, '{ min: 5m, max: 5m }');
  from = relay.stderr.length;
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /event stream connected/, 30_000, from);
  from = relay.stderr.length;
  const newerCa = await renewDaemonCertificates(icinga, 'renewed-2');
  await relay.waitFor('stderr', /Icinga2 ended the event stream/, 30_000, from);
  copyFileSync(newerCa, caFile);
  from = relay.stderr.length;
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /event stream connected/, 30_000, from);
  t.notMatch(relay.stderr.slice(from).join('\n'), /certificate not trusted/, 'the reloaded relay trusted the renewed CA at once');

  relay.child.kill('SIGTERM');
  t.equal(await relay.exited, 0, 'and it stops cleanly');
});
