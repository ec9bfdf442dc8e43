/**
 * IcingaConnection.refreshTls(): the CA file and the client certificate and key are read again;
 * only a change makes new connections use them, and a file that cannot be used changes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { IcingaConnection } from '../../src/icinga/connection.js';
import { makeCertificates } from '../harness/icinga2.js';

const dir = await mkdtemp(join(tmpdir(), 'icinga-relay-connection-tls-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const [first, second] = [join(dir, 'first'), join(dir, 'second')];
await makeCertificates(first, 'relay-cert');
await makeCertificates(second, 'relay-cert');
const pem = (path: string) => readFileSync(path, 'utf8');

t.test('the CA file: unchanged, renewed, then unusable', async (t) => {
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, pem(join(first, 'ca.crt')));
  const connection = new IcingaConnection('https://127.0.0.1:1', { caPem: pem(caFile), files: { ca: caFile }, auth: { method: 'password', username: 'u', password: 'p' } });
  t.teardown(() => connection.close());
  t.same(connection.refreshTls(), [], 'nothing changed');
  writeFileSync(caFile, pem(join(second, 'ca.crt')));
  t.same(connection.refreshTls(), [caFile], 'renewed');
  t.same(connection.refreshTls(), [], 'read once');
  writeFileSync(caFile, 'not a certificate');
  t.throws(() => connection.refreshTls(), /the CA file has no PEM certificate in it/);
  writeFileSync(caFile, pem(join(second, 'ca.crt')));
  t.same(connection.refreshTls(), [], 'the renewed CA stayed in use');
});

t.test('a client certificate and key renewed together; a key that does not match is refused', async (t) => {
  const [certFile, keyFile] = [join(dir, 'client.crt'), join(dir, 'client.key')];
  writeFileSync(certFile, pem(join(first, 'client.crt')));
  writeFileSync(keyFile, pem(join(first, 'client.key')));
  const connection = new IcingaConnection('https://127.0.0.1:1', {
    files: { cert: certFile, key: keyFile },
    auth: { method: 'certificate', certPem: pem(certFile), keyPem: pem(keyFile) },
  });
  t.teardown(() => connection.close());
  writeFileSync(certFile, pem(join(second, 'client.crt')));
  t.throws(() => connection.refreshTls(), /key values mismatch/i, 'the new certificate with the old key');
  writeFileSync(keyFile, pem(join(second, 'client.key')));
  t.same(connection.refreshTls(), [certFile, keyFile]);
});
