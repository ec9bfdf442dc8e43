/** The routes and templates sections: which events go where, and in what words. */

import { z } from 'zod';
import { EVENT_TYPES, isEventType } from '../icinga/event-types.js';
import type { Route } from '../router.js';
import { parseTemplate, type Template, type Templates } from '../templates.js';
import { expecting, type SchemaHelpers } from './schema.js';

const ROUTE_STATES = ['UP', 'DOWN', 'OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** `destination`: one destination; `aDestination` says what one looks like. */
export function routesSection({ choice, text, optionalSection, section, keyedMapping, alternatives }: SchemaHelpers, destination: z.ZodType<string>, aDestination: string) {
  const namePattern = (what: string) => `${what} or glob pattern (* and ?)`;
  const varValue = z
    .union([z.string(), z.number(), z.boolean()])
    .transform((value) => String(value));
  const match = optionalSection({
    type: alternatives(choice(EVENT_TYPES), `one of ${EVENT_TYPES.join(', ')}`).optional(),
    host: alternatives(text(namePattern('a host name')), namePattern('a host name')).optional(),
    service: alternatives(text(namePattern('a service name')), namePattern('a service name')).optional(),
    state: alternatives(choice(ROUTE_STATES), `one of ${ROUTE_STATES.join(', ')}`).optional(),
    state_type: alternatives(choice(['SOFT', 'HARD']), 'SOFT or HARD').optional(),
    host_group: alternatives(text(namePattern('a HostGroup name')), namePattern('a HostGroup name')).optional(),
    service_group: alternatives(text(namePattern('a ServiceGroup name')), namePattern('a ServiceGroup name')).optional(),
    vars: keyedMapping(alternatives(varValue, 'a string, number or true/false'), 'a mapping of custom variable names to values', {
      form: /^[A-Za-z_][\w-]*$/,
      what: 'a custom variable name (letters, digits, - and _)',
    }).optional(),
  }).transform((keys): Route['match'] => ({
    ...(keys.type && { types: keys.type }),
    ...(keys.host && { hosts: keys.host }),
    ...(keys.service && { services: keys.service }),
    ...(keys.state && { states: keys.state }),
    ...(keys.state_type && { stateTypes: keys.state_type }),
    ...(keys.host_group && { hostGroups: keys.host_group }),
    ...(keys.service_group && { serviceGroups: keys.service_group }),
    ...(keys.vars && { vars: keys.vars }),
  }));
  // A highlight or mention: no spaces, commas or control characters, which could forge or break a line.
  const A_MENTION = 'a nick, a Slack user ID (U0123ABC) or user group (<!subteam^S0123ABC>)';
  const mention = z.array(z.string({ error: expecting(A_MENTION) }).regex(/^(<!subteam\^[A-Z0-9]+>|[^\s,:<>@!\u0000-\u001f\u007f]+)$/, { error: expecting(A_MENTION) }), {
    error: expecting('a list of nicks or Slack IDs'),
  });
  const routes = z
    .array(section({ match, to: alternatives(destination, aDestination), stop: z.boolean({ error: expecting('true or false') }).default(false), mention: mention.optional() }), {
      error: expecting('a list of routes'),
    })
    .optional();
  return routes;
}

export function templatesSection({ text }: SchemaHelpers) {
  const templates = z
    .record(z.string(), text('a template such as "{state} {object}: {output}"'), { error: expecting('a mapping of event types to templates') })
    .transform((sources, ctx): Templates => {
      const parsed = new Map<string, Template>();
      for (const [type, source] of Object.entries(sources)) {
        if (!isEventType(type)) {
          ctx.addIssue({ code: 'custom', path: [type], message: `expected an event type (${EVENT_TYPES.join(', ')}) but found ${JSON.stringify(type)}` });
          continue;
        }
        const { template, problems } = parseTemplate(source, type);
        for (const message of problems) ctx.addIssue({ code: 'custom', path: [type], message });
        parsed.set(type, template);
      }
      return parsed;
    })
    .optional();
  return templates;
}
