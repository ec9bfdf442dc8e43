import t from 'tap';
import { encodeName, objectUrl, type WebConfig } from '../src/web-links.js';

const icingadb: WebConfig = { url: 'https://monitoring.example.org/icingaweb2', module: 'icingadb' };
const monitoring: WebConfig = { url: 'https://monitoring.example.org/icingaweb2', module: 'monitoring' };

t.test('Icinga DB Web links', async (t) => {
  t.equal(objectUrl(icingadb, 'web01'), 'https://monitoring.example.org/icingaweb2/icingadb/host?name=web01');
  t.equal(objectUrl(icingadb, 'web01!http'), 'https://monitoring.example.org/icingaweb2/icingadb/service?name=http&host.name=web01');
});

t.test('monitoring module links', async (t) => {
  t.equal(objectUrl(monitoring, 'web01'), 'https://monitoring.example.org/icingaweb2/monitoring/host/show?host=web01');
  t.equal(objectUrl(monitoring, 'web01!http'), 'https://monitoring.example.org/icingaweb2/monitoring/service/show?host=web01&service=http');
});

t.test('names with spaces, !, & and unicode stay one parameter, in both forms', async (t) => {
  t.equal(encodeName('disk /var & more!'), 'disk%20%2Fvar%20%26%20more%21');
  t.equal(encodeName("it's (a) *test* #1 ?=+;,"), 'it%27s%20%28a%29%20%2Atest%2A%20%231%20%3F%3D%2B%3B%2C');
  t.equal(encodeName('routeur-äöü_1.2~x'), 'routeur-%C3%A4%C3%B6%C3%BC_1.2~x');
  t.equal(
    objectUrl(icingadb, 'routeur-äöü!disk /var & co!'),
    'https://monitoring.example.org/icingaweb2/icingadb/service?name=disk%20%2Fvar%20%26%20co%21&host.name=routeur-%C3%A4%C3%B6%C3%BC',
    'the host ends at the first !; the rest, ! included, is the service',
  );
  t.equal(
    objectUrl(monitoring, 'routeur-äöü!disk /var & co!'),
    'https://monitoring.example.org/icingaweb2/monitoring/service/show?host=routeur-%C3%A4%C3%B6%C3%BC&service=disk%20%2Fvar%20%26%20co%21',
  );
  t.equal(objectUrl(monitoring, 'host name & co'), 'https://monitoring.example.org/icingaweb2/monitoring/host/show?host=host%20name%20%26%20co');
  // What a browser (and Icinga Web's PHP) reads back is the name as Icinga2 has it.
  const read = new URL(objectUrl(icingadb, 'routeur-äöü!disk /var & co!')).searchParams;
  t.same([read.get('name'), read.get('host.name')], ['disk /var & co!', 'routeur-äöü']);
  const readMonitoring = new URL(objectUrl(monitoring, 'a&b=c!d e+f')).searchParams;
  t.same([readMonitoring.get('host'), readMonitoring.get('service')], ['a&b=c', 'd e+f']);
});
