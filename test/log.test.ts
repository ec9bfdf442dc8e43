/**
 * The logger: secrets masked where they stand alone and nowhere else, multi-line values on lines
 * of their own, the journald priority prefix.
 */
import t from 'tap';
import { createLogger, memoryLogger } from '../src/log.js';

t.test('a secret is masked where it stands alone, never inside other text', async (t) => {
  const logger = memoryLogger();
  logger.addSecret('wrongsasl');
  logger.child('irc').error('SASL login failed', { config: '/etc/icinga-relay/wrongsasl.yml', sent: 'AUTHENTICATE wrongsasl', url: 'https://relay:wrongsasl@icinga:5665/' });
  logger.info('password="wrongsasl" and wrongsasl_old and my-wrongsasl and /tmp/wrongsasl');
  t.same(logger.lines, [
    '1970-01-01T00:00:00.000Z ERROR SASL login failed component=irc config=/etc/icinga-relay/wrongsasl.yml sent="AUTHENTICATE ***" url=https://relay:***@icinga:5665/',
    '1970-01-01T00:00:00.000Z INFO password="***" and wrongsasl_old and my-wrongsasl and /tmp/wrongsasl',
  ]);
});

t.test('secrets with regular-expression characters are masked literally; very short ones not at all', async (t) => {
  const logger = memoryLogger();
  logger.addSecret('p4$$(w)rd+');
  logger.addSecret('abc');
  logger.info('sent p4$$(w)rd+ to abc');
  t.same(logger.lines, ['1970-01-01T00:00:00.000Z INFO sent *** to abc']);
});

t.test('a multi-line value is logged as one line per line, with no literal \\n, masked too', async (t) => {
  const logger = memoryLogger();
  logger.addSecret('hunter22');
  logger.error('reload rejected, the running configuration stays', { errors: 'config.yml: 2 problems:\n  chat.irc.chanels: unknown key\n  icinga.password: hunter22 is wrong\n' });
  t.same(logger.lines, [
    '1970-01-01T00:00:00.000Z ERROR reload rejected, the running configuration stays errors=(3 lines below)',
    '1970-01-01T00:00:00.000Z ERROR   errors: config.yml: 2 problems:',
    '1970-01-01T00:00:00.000Z ERROR   errors:   chat.irc.chanels: unknown key',
    '1970-01-01T00:00:00.000Z ERROR   errors:   icinga.password: *** is wrong',
  ]);
  t.notOk(logger.lines.some((line) => line.includes('\\n')), 'no literal backslash-n');
});

t.test('under journald each line, continuation lines too, carries the syslog priority', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ journald: true, write: (line) => lines.push(line), level: 'debug' });
  logger.warn('two', { text: 'a\nb' });
  logger.debug('hidden?');
  t.same(lines, ['<4>two text=(2 lines below)', '<4>  text: a', '<4>  text: b', '<7>hidden?']);
  const quiet = createLogger({ journald: true, write: (line) => lines.push(line) });
  quiet.debug('not shown at info');
  t.equal(lines.length, 4);
});
