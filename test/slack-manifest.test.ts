/**
 * slack-app-manifest.yml asks for exactly the bot scopes the Slack backend needs: those of each
 * Web API method it calls (read from its source, so a new call without its scope fails here) and
 * of the message events it takes in, with Socket Mode on.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Slack's documented bot scopes per method; conversations.list's depend on the types listed. */
const METHOD_SCOPES: Record<string, (source: string) => string[]> = {
  'auth.test': () => [],
  'chat.postMessage': () => ['chat:write'],
  // Editing the bot's own root message (one conversation per problem) needs no more than posting.
  'chat.update': () => ['chat:write'],
  'conversations.list': (source) => {
    const types = /paginate\('conversations\.list', \{ types: '([^']+)'/.exec(source)?.[1]?.split(',') ?? [];
    const scopeOf: Record<string, string> = { public_channel: 'channels:read', private_channel: 'groups:read', im: 'im:read', mpim: 'mpim:read' };
    return types.map((type) => scopeOf[type] ?? `an unknown type ${type}`);
  },
};
/** The message event of each kind of conversation, and the scope Slack requires for it. */
const MESSAGE_EVENTS: Record<string, string> = {
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
};

function slackSources(dir = 'src/chat'): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && join(entry.parentPath, entry.name).includes('slack'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

interface Manifest {
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
  features: { app_home: { messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean } };
}
const manifest = parse(readFileSync('slack-app-manifest.yml', 'utf8')) as Manifest;
const source = slackSources();

const calls = new Set([
  ...[...source.matchAll(/this\.web\.(\w+)\.(\w+)\(/g)].map((match) => `${match[1]}.${match[2]}`),
  ...[...source.matchAll(/this\.web\.(?:paginate|apiCall)\('([\w.]+)'/g)].map((match) => match[1]),
]);

t.test('the backend calls Web API methods whose scopes are known here', async (t) => {
  t.same([...calls].sort(), ['auth.test', 'chat.postMessage', 'chat.update', 'conversations.list'], 'the methods found in the source');
  for (const method of calls) t.ok(METHOD_SCOPES[method], `${method} has its scopes listed in this test`);
});

t.test('the manifest asks for those scopes and the message events' + "' scopes, and no more", async (t) => {
  const fromMethods = [...calls].flatMap((method) => METHOD_SCOPES[method]?.(source) ?? []);
  const events = manifest.settings.event_subscriptions.bot_events;
  for (const event of events) t.ok(MESSAGE_EVENTS[event], `${event} is a message event the backend reads`);
  const fromEvents = events.map((event) => MESSAGE_EVENTS[event]);
  t.same([...manifest.oauth_config.scopes.bot].sort(), [...new Set([...fromMethods, ...fromEvents])].sort());
  t.equal(manifest.oauth_config.scopes.user, undefined, 'no user scopes');
});

t.test('messages from public and private channels and direct messages reach the relay', async (t) => {
  t.same([...manifest.settings.event_subscriptions.bot_events].sort(), ['message.channels', 'message.groups', 'message.im']);
  t.match(source, /channel_type === 'im'/, 'the backend tells direct messages apart');
  t.ok(manifest.features.app_home.messages_tab_enabled && !manifest.features.app_home.messages_tab_read_only_enabled, 'people can write to the bot');
});

t.test('Socket Mode on; no interactivity while the relay posts no buttons', async (t) => {
  t.equal(manifest.settings.socket_mode_enabled, true);
  t.notMatch(source, /type: 'button'|block_actions/);
  t.equal(manifest.settings.interactivity.is_enabled, false);
});
