/**
 * Links to a host or service in Icinga Web 2 (the `web:` config section): Icinga DB Web
 * (`<url>/icingadb/host?name=H`, `<url>/icingadb/service?name=S&host.name=H`) or the older
 * monitoring module (`<url>/monitoring/host/show?host=H`, `<url>/monitoring/service/show?host=H&service=S`).
 * Names are encoded as PHP's rawurlencode does (what Icinga Web itself writes): every byte but
 * letters, digits and `-_.~`, so a name with `&`, `!`, `#` or spaces stays one parameter.
 */

export type WebModule = 'icingadb' | 'monitoring';

export interface WebConfig {
  /** Icinga Web 2's base URL, `https://monitoring.example.org/icingaweb2`, without a trailing slash. */
  url: string;
  module: WebModule;
}

export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The page of `host` or `host!service`: the host is everything before the first `!`. */
export function objectUrl(web: WebConfig, object: string): string {
  const separator = object.indexOf('!');
  const host = encodeName(separator < 0 ? object : object.slice(0, separator));
  const service = separator < 0 ? undefined : encodeName(object.slice(separator + 1));
  if (web.module === 'icingadb') {
    return service === undefined ? `${web.url}/icingadb/host?name=${host}` : `${web.url}/icingadb/service?name=${service}&host.name=${host}`;
  }
  return service === undefined ? `${web.url}/monitoring/host/show?host=${host}` : `${web.url}/monitoring/service/show?host=${host}&service=${service}`;
}
