/**
 * The chat commands: each file in src/commands/ declares one as data (name, aliases, usage,
 * description, role, handler), and this registry holds them by name and alias. Parsing, access
 * checks, rate limiting and the audit happen once, in the dispatcher. Adding a command means a
 * file and a line in COMMANDS below.
 */
import { ack } from './ack.js';
import { comment } from './comment.js';
import { downtime } from './downtime.js';
import { help } from './help.js';
import { mute } from './mute.js';
import { mutes } from './mutes.js';
import { events } from './events.js';
import { problems } from './problems.js';
import { recheck } from './recheck.js';
import { status } from './status.js';
import { unack } from './unack.js';
import { unmute } from './unmute.js';
import { undowntime } from './undowntime.js';
import { whoami } from './whoami.js';
import { CommandRegistry } from './registry.js';

export type { Command, CommandContext, CommandOutcome, CommandResult, CommandRole } from './types.js';
export { CommandRegistry } from './registry.js';

export const COMMANDS = new CommandRegistry()
  .register(ack)
  .register(unack)
  .register(comment)
  .register(downtime)
  .register(undowntime)
  .register(recheck)
  .register(status)
  .register(problems)
  .register(mute)
  .register(unmute)
  .register(mutes)
  .register(events)
  .register(help)
  .register(whoami);
