/** The http section: the /healthz and /metrics listener (src/health.ts). */

import { z } from 'zod';
import { expecting, type SchemaHelpers } from './schema.js';

/** The /healthz and /metrics listener (src/health.ts). */
export interface HttpConfig {
  host: string;
  /** 0: any free port (tests). */
  port: number;
}

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9120';

export function httpSection({ switchedSection }: SchemaHelpers) {
  const http = switchedSection({
    listen: z
      .string({ error: expecting('host:port, e.g. 127.0.0.1:9120 ([::1]:9120 for IPv6)') })
      .default(DEFAULT_HTTP_LISTEN)
      .transform((listen, ctx): HttpConfig => {
        const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(listen);
        const port = match ? Number(match[3]) : NaN;
        if (!match || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `expected host:port, e.g. 127.0.0.1:9120 ([::1]:9120 for IPv6), but found ${JSON.stringify(listen)}` });
          return z.NEVER;
        }
        return { host: match[1] ?? match[2], port };
      }),
  })
    .transform((keys): HttpConfig => keys.listen)
    .optional();
  return http;
}
