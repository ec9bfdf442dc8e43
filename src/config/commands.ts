/** The commands section: how chat commands are written, rate-limited and audited. */

import { z } from 'zod';
import type { RateLimit } from '../util/token-bucket.js';
import { expecting, type SchemaHelpers } from './schema.js';

/** How the acknowledgements made from chat behave (Icinga2's acknowledge-problem options). */
export interface AcknowledgementDefaults {
  /** Kept until the object recovers, through changes between problem states. */
  sticky: boolean;
  /** Sends ACKNOWLEDGEMENT notifications. */
  notify: boolean;
  /** Keeps the acknowledgement's comment after the acknowledgement ends. */
  persistent: boolean;
}

export interface CommandsConfig {
  /** What starts a command in a channel or room: `!ack ...`. */
  prefix: string;
  /** Most problem lines one `problems` reply lists before "... and M more". */
  maxLines: number;
  ack: AcknowledgementDefaults;
  /** Absolute path of the file that gets one JSON line per command; the log only when absent. */
  auditFile?: string;
  /** Commands per identity (senders without one share a bucket per backend). */
  rate: RateLimit;
}

export const DEFAULT_COMMANDS: CommandsConfig = {
  prefix: '!',
  maxLines: 10,
  ack: { sticky: true, notify: true, persistent: false },
  // One command every 5 s on average after a burst of 5: plenty for a person, little for a loop.
  rate: { burst: 5, perSecond: 0.2 },
};

export function commandsSection({ text, optionalSection, switchedSection, writableFile, rateLimit }: SchemaHelpers) {
  const auditFile = writableFile('the audit file');

  const commands = switchedSection({
    prefix: text('a command prefix such as !')
      .pipe(z.string().regex(/^[^\s"]{1,8}$/, { error: expecting('a command prefix of 1 to 8 characters without spaces or quotes, such as !') }))
      .prefault(DEFAULT_COMMANDS.prefix),
    max_lines: z.int({ error: expecting('a whole number of lines from 1 to 100') }).min(1).max(100).default(DEFAULT_COMMANDS.maxLines),
    ack: optionalSection({
      sticky: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.sticky),
      notify: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.notify),
      persistent: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.persistent),
    }),
    audit_file: auditFile.optional(),
    rate: rateLimit(DEFAULT_COMMANDS.rate.burst, DEFAULT_COMMANDS.rate.perSecond, 'commands'),
  })
    .transform(
      (keys): CommandsConfig => ({
        prefix: keys.prefix,
        maxLines: keys.max_lines,
        ack: keys.ack,
        ...(keys.audit_file !== undefined && { auditFile: keys.audit_file }),
        rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
      }),
    )
    .optional();
  return commands;
}
