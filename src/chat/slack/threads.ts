/**
 * Where a message goes in Slack, given the problems it belongs to (src/problems/book.ts). Pure.
 *
 * - The first message of a problem is its root; Slack's `ts` for it is handed back (onRoot) and
 *   kept with the problem, across restarts. A storm line is the root of every object it names.
 * - A later message of exactly one problem goes in the root's thread (`thread_ts`); a recovery
 *   also shows in the channel (`reply_broadcast`) unless broadcast_recoveries is off. A message
 *   about several problems (a storm line) goes in the channel: a recovery is never threaded
 *   under a message that does not name its object, and a thread belongs to one root.
 * - A root about one object alone is edited (chat.update) when its problem is acknowledged from
 *   elsewhere and when it recovers: "RESOLVED after 14 minutes".
 * - Roots carry a context block: the reference, and the link to Icinga Web when configured.
 */
import { humanizeSeconds } from '../../../formatters/common.js';
import type { ProblemLink, RelayMessage } from '../../message.js';
import { escapeSlackText, type SlackBlock } from './render.js';

export interface SlackThreadSettings {
  threads: boolean;
  broadcastRecoveries: boolean;
  editRoot: boolean;
}

export interface SlackPlacement {
  threadTs?: string;
  broadcast: boolean;
  /** Problems this post starts: told its ts. */
  opens: readonly ProblemLink[];
  /** Blocks added after the message's own. */
  extraBlocks: SlackBlock[];
  /** The root to edit once this is posted, and to what. */
  edit?: { ts: string; text: string; blocks: SlackBlock[] };
}

/** The context block of a root: `#4 · Icinga Web` (a link), in mrkdwn. */
function rootContext(links: readonly ProblemLink[]): SlackBlock {
  const parts = links.map((link) => (link.url === undefined ? `#${link.ref}` : `<${link.url}|#${link.ref} ${escapeSlackText(link.object)}>`));
  return { type: 'context', elements: [{ type: 'mrkdwn', text: parts.join(' · ') }] };
}

export function placement(message: RelayMessage, settings: SlackThreadSettings, nowMs: number): SlackPlacement {
  const links = message.problems ?? [];
  const opens = links.filter((link) => link.role === 'opened');
  const extraBlocks = opens.length > 0 ? [rootContext(opens)] : [];
  const only = links.length === 1 ? links[0] : undefined;
  if (only === undefined || only.role === 'opened' || only.rootId === undefined) return { broadcast: false, opens, extraBlocks };
  const threaded = settings.threads;
  const result: SlackPlacement = {
    broadcast: threaded && only.role === 'recovered' && settings.broadcastRecoveries,
    opens,
    extraBlocks,
    ...(threaded && { threadTs: only.rootId }),
  };
  if (!settings.editRoot || only.rootText === undefined) return result;
  const rootLine: SlackBlock = { type: 'section', text: { type: 'mrkdwn', text: only.rootText, verbatim: true } };
  const link = only.url === undefined ? [] : [` · <${only.url}|Icinga Web>`];
  if (only.role === 'recovered') {
    const after = humanizeSeconds(Math.max(0, Math.round((nowMs - only.openedAt) / 1000)));
    const head = `RESOLVED after ${after}`;
    result.edit = {
      ts: only.rootId,
      text: `${head}: ${only.rootText}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: *${head}* (#${only.ref})`, verbatim: true } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `~${only.rootText}~${link.join('')}` }] },
      ],
    };
  } else if (message.eventType === 'AcknowledgementSet') {
    const author = message.fields.author;
    const handled = `acknowledged${typeof author === 'string' ? ` by ${author}` : ''}`;
    result.edit = {
      ts: only.rootId,
      text: `${only.rootText} (${handled})`,
      blocks: [rootLine, { type: 'context', elements: [{ type: 'mrkdwn', text: `#${only.ref} · :eyes: ${escapeSlackText(handled)}${link.join('')}` }] }],
    };
  }
  return result;
}
