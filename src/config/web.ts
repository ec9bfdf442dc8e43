/** The web section: links to Icinga Web 2 (src/web-links.ts). */

import { z } from 'zod';
import type { WebConfig } from '../web-links.js';
import { expecting, type SchemaHelpers } from './schema.js';

const AN_URL = 'an http(s):// URL such as https://monitoring.example.org/icingaweb2';

export function webSection({ section, envText, choice }: SchemaHelpers) {
  const web = section({
    url: envText(AN_URL).pipe(z.string().regex(/^https?:\/\/[^\s?#]+$/, { error: expecting(AN_URL) })),
    module: choice(['icingadb', 'monitoring']).default('icingadb'),
  })
    .transform((keys): WebConfig => ({ url: keys.url.replace(/\/+$/, ''), module: keys.module }))
    .optional();
  return web;
}
