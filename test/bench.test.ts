/** A few-second smoke run of `npm run bench` so the benchmark cannot rot. Never judges a number. */
import t from 'tap';
import { watchProcess } from './helpers/process.js';

t.test('the benchmark runs and prints its table and JSON figures', async (t) => {
  const bench = watchProcess(process.execPath, ['dist/test/bench/run.js', '--quick', '--json'], { PATH: process.env.PATH });
  t.equal(await bench.exited, 0);
  t.match(bench.stdout.join('\n'), /\| pipeline \(split → parse → format → route → noise\) \| [\d,]+ events\/s/);
  const figures = JSON.parse(bench.stdout.at(-1)!) as Record<string, number>;
  for (const key of ['pipeline_events_per_s', 'pipeline_vs_json_parse']) {
    t.ok(figures[key] > 0, `${key} is measured: ${figures[key]}`);
  }
});
