/**
 * The shipped Grafana dashboard and Prometheus rules use only metrics the relay serves: the
 * built relay runs with an http section, and every metric name in their queries must be a
 * family (or a histogram's _bucket/_sum/_count) on its /metrics. promtool checks the rules.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { watchProcess } from './helpers/process.js';

const run = promisify(execFile);
const DASHBOARD = 'dashboards/icinga-relay.grafana.json';
const RULES = 'dashboards/icinga-relay.rules.yml';

interface Panel {
  id: number;
  title: string;
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { definition?: string }[] } };
const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };

/** Metric families on a running relay's /metrics, with the series names a histogram adds. */
async function servedMetricNames(t: Test): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-dashboards-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yml');
  // Nothing listens on port 1: the stream stays down, which the metrics report like any state.
  writeFileSync(config, 'icinga:\n  url: https://127.0.0.1:1\n  username: relay\n  password: p\nchat:\n  console: {}\nhttp:\n  listen: 127.0.0.1:0\n');
  const relay = watchProcess(process.execPath, ['dist/src/cli.js', '--config', config], process.env);
  t.teardown(() => {
    relay.child.kill('SIGKILL');
  });
  const line = await relay.waitFor('stderr', /serving \/healthz and \/metrics/, 30_000);
  const port = /port=(\d+)/.exec(line)?.[1];
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** The metric names in a PromQL expression: the relay's by their prefix, any other by its selector's `{`. */
function metricNames(expr: string): string[] {
  const relay = [...expr.matchAll(/\bicinga_relay_\w+/g)].map((match) => match[0]);
  const selected = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((match) => match[1]);
  return [...new Set([...relay, ...selected])];
}

const expressions = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `dashboard panel "${panel.title}"`, expr: target.expr }))),
  ...dashboard.templating.list.flatMap((variable) => (variable.definition ? [{ where: 'dashboard variable', expr: variable.definition }] : [])),
  ...rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `rule ${rule.alert}`, expr: rule.expr }))),
];

t.test('every metric the dashboard and the rules use is on the relay\'s /metrics', async (t) => {
  const served = await servedMetricNames(t);
  t.ok(served.has('icinga_relay_stream_connected'), 'the relay serves its metrics');
  let checked = 0;
  for (const { where, expr } of expressions) {
    for (const name of metricNames(expr)) {
      checked++;
      // `up` is Prometheus's own: whether the scrape of the relay worked.
      t.ok(name === 'up' || served.has(name), `${where}: ${name}`);
    }
  }
  t.ok(checked >= 20, `${checked} metric references checked`);
});

t.test('the dashboard covers what the issue asked for, with unique panel ids', async (t) => {
  const ids = dashboard.panels.map((panel) => panel.id);
  t.equal(new Set(ids).size, ids.length);
  const used = new Set(expressions.filter(({ where }) => where.startsWith('dashboard')).flatMap(({ expr }) => metricNames(expr)));
  for (const name of [
    'icinga_relay_stream_connected',
    'icinga_relay_events_received_total',
    'icinga_relay_messages_sent_total',
    'icinga_relay_queue_depth',
    'icinga_relay_messages_dropped_total',
    'icinga_relay_commands_total',
    'icinga_relay_icinga_api_request_seconds_bucket',
    'icinga_relay_icinga_api_request_seconds_count',
  ]) {
    t.ok(used.has(name), name);
  }
});

t.test('promtool check rules passes, and the rules cover what the issue asked for', async (t) => {
  const { stdout } = await run('promtool', ['check', 'rules', RULES]);
  t.match(stdout, /SUCCESS: \d+ rules found/);
  t.same(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert)).sort(), [
    'IcingaRelayBackendDisconnected',
    'IcingaRelayCommandsFailing',
    'IcingaRelayDestinationFailing',
    'IcingaRelayDown',
    'IcingaRelayIcingaApiErrors',
    'IcingaRelayMessagesDropped',
    'IcingaRelayStreamDisconnected',
  ]);
});
