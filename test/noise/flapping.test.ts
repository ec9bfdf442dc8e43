import t from 'tap';
import { fixture, formatted, noiseWith, recordedStream, stateChange } from '../helpers/noise.js';

t.test('the recorded flapping: reported when it starts and when it stops, not every change between', async (t) => {
  const { noise, texts, clock } = noiseWith();
  for (const message of recordedStream().filter((m) => m.service === 'flappy')) {
    noise.submit('irc:#ops', message);
    clock.advance(1);
  }
  clock.advance(10_000);
  const sent = texts();
  t.equal(sent.filter((text) => /started flapping|FLAPPINGSTART/.test(text)).length, 1, 'the start once (Flapping and FLAPPINGSTART are one)');
  t.equal(sent.filter((text) => /stopped flapping|FLAPPINGEND/.test(text)).length, 1, 'the end once');
  t.match(sent.at(-1), /state changes while flapping not shown\]$/);
  t.ok(sent.length <= 5, `few lines: ${JSON.stringify(sent)}`);
});

t.test('state changes while flapping are held back; after the end they are news again', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', formatted(fixture('Flapping-service-start')));
  const { host, service } = formatted(fixture('Flapping-service-start'));
  const object = `${host}!${service}`;
  for (let i = 0; i < 6; i++) {
    clock.advance(2_000);
    noise.submit('irc:#ops', stateChange(object, i % 2 ? 'OK' : 'CRITICAL'));
  }
  clock.advance(2_000);
  noise.submit('irc:#ops', formatted(fixture('Flapping-service-end')));
  clock.advance(2_000);
  noise.submit('irc:#ops', stateChange(object, 'CRITICAL'));
  const sent = texts();
  t.equal(sent.length, 3);
  t.match(sent[0], /started flapping/);
  t.match(sent[1], /stopped flapping .*\[6 state changes while flapping not shown\]$/);
  t.equal(sent[2], `CRITICAL ${object}`);
});

t.test('a flapping mark that sees no change for an hour lapses (a missed end must not silence an object for good)', async (t) => {
  const { noise, texts, clock } = noiseWith();
  const start = formatted(fixture('Flapping-service-start'));
  noise.submit('irc:#ops', start);
  clock.advance(3_600_000);
  noise.submit('irc:#ops', stateChange(`${start.host}!${start.service}`, 'CRITICAL'));
  t.equal(texts().length, 2);
});
