/** `npm run demo` end to end (the built demo script): a newcomer's first command must keep working. */
import t from 'tap';
import { watchProcess } from './helpers/process.js';

t.test('the demo shows the whole scenario as console lines', async (t) => {
  const demo = watchProcess(process.execPath, ['dist/test/harness/demo.js'], { PATH: process.env.PATH, ...(process.env.ICINGA2_BIN && { ICINGA2_BIN: process.env.ICINGA2_BIN }) });
  t.teardown(() => {
    demo.child.kill('SIGKILL');
  });
  t.equal(await demo.exited, 0, 'the demo exits 0');
  const out = demo.stdout.join('\n');
  t.match(out, /^#1 CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused/m);
  t.match(out, /alice acknowledged web01!http.*nginx crashed, restarting it/);
  t.match(out, /bob scheduled downtime for web01!http lasting 1 hour because nginx upgrade/);
  t.match(out, /^#1 OK web01!http: HTTP OK/m, 'the recovery names the problem it ends');
  t.match(out, /--- demo: done/);
});
