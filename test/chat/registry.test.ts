/**
 * The registry loads a backend's module, with the libraries it brings, only when the config names
 * the backend. What is loaded shows in the CommonJS module cache (irc-framework and @slack/web-api
 * are CommonJS); this file imports nothing else that would load them.
 */
import { createRequire } from 'node:module';
import t from 'tap';
import { createBackends } from '../../src/chat/registry.js';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';

const loaded = (library: string) => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes(`/node_modules/${library}/`));

const { chat } = parseConfig(
  [
    'icinga:',
    '  url: https://127.0.0.1:1',
    '  username: u',
    '  password: p',
    'chat:',
    '  console:',
    '    timestamps: never',
    '  irc:',
    '    server: irc.example.org',
    '    channels: ["#ops"]',
    '',
  ].join('\n'),
  { env: {} },
).config;

t.test("only the configured backends' libraries are loaded", async (t) => {
  const logger = memoryLogger();
  const consoleOnly = await createBackends({ console: chat.console }, { logger });
  t.same(
    consoleOnly.map((backend) => backend.name),
    ['console'],
  );
  t.notOk(loaded('irc-framework'), 'no irc-framework for the console');
  t.notOk(loaded('@slack/web-api'), 'no Slack library');

  const both = await createBackends(chat, { logger });
  t.teardown(() => Promise.all(both.map((backend) => backend.close())));
  t.same(
    both.map((backend) => backend.name),
    ['console', 'irc'],
    'in the order of the config',
  );
  t.ok(loaded('irc-framework'), 'irc-framework once IRC is configured');
  t.notOk(loaded('@slack/web-api'), 'still no Slack library');
});
