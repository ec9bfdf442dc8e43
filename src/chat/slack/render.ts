/**
 * A RelayMessage as a Slack message, and Slack's text markup undone for what people write. Pure.
 *
 * The message is one mrkdwn section block: a severity emoji, the object (host or host!service)
 * in bold, the event text. `text` is the same line in plain text, for notifications and clients
 * that show no blocks. Slack reads `&`, `<` and `>` as markup (`<!channel>`, `<@U123>`,
 * `<https://x|label>`), so event text has them escaped and cannot mention or link anyone; and the
 * section is `verbatim`, so Slack does not turn a bare `@here`, `#channel` or URL in it into a
 * mention or a link either (without it, mrkdwn text is parsed for those).
 */
import { SLACK_MENTION, withoutControls, type RelayMessage, type Severity } from '../../message.js';

export const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':warning:',
  ok: ':large_green_circle:',
  unknown: ':large_purple_circle:',
  info: ':information_source:',
};

/** Block Kit refuses a section whose text is longer (invalid_blocks), and width goes up to 4000. */
export const SECTION_TEXT_LIMIT = 3000;

/** The Block Kit blocks the relay posts: its line, and context lines under a problem's root. */
export type SlackSection = { type: 'section'; text: { type: 'mrkdwn'; text: string; verbatim: true } };
export type SlackBlock = SlackSection | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

export interface SlackMessage {
  /** Plain text (escaped, no markup): what notifications show. */
  text: string;
  blocks: SlackSection[];
}

export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack delivers message text with &, < and > escaped; `&amp;` goes last so `&amp;lt;` stays `&lt;`. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Escaped text cut to `limit` characters with an ellipsis, never inside an entity or a surrogate pair. */
function escapedWithin(text: string, limit: number): string {
  const escaped = escapeSlackText(text);
  if (escaped.length <= limit) return escaped;
  let fitted = '';
  for (const character of text) {
    const piece = escapeSlackText(character);
    if (fitted.length + piece.length > limit - 1) break;
    fitted += piece;
  }
  return `${fitted}…`;
}

/** Where the object's name stands in the text as a word of its own, or -1. */
function objectPosition(text: string, object: string): number {
  for (let index = text.indexOf(object); index !== -1; index = text.indexOf(object, index + 1)) {
    const before = text[index - 1];
    const after = text[index + object.length];
    if ((before === undefined || before === ' ') && (after === undefined || !/[\w.!-]/.test(after))) return index;
  }
  return -1;
}

export function renderSlackMessage(message: RelayMessage): SlackMessage {
  const text = withoutControls(message.text);
  const named = message.host === undefined ? undefined : message.service === undefined ? message.host : `${message.host}!${message.service}`;
  const object = named === undefined ? undefined : withoutControls(named);
  let head = '';
  let rest = text;
  if (object !== undefined) {
    const position = objectPosition(text, object);
    if (position === -1) {
      // The formatters name the object in the text; should one not, it still leads.
      head = `*${escapeSlackText(object)}* `;
    } else {
      head = `${escapeSlackText(text.slice(0, position))}*${escapeSlackText(object)}*`;
      rest = text.slice(position + object.length);
    }
  }
  // Real mentions, from the config (route.mention) only: Slack's markup for a user or a user group.
  const mentions = (message.mentions ?? [])
    .filter((mention) => SLACK_MENTION.test(mention))
    .map((mention) => (mention.startsWith('<') ? mention : `<@${mention}>`))
    .map((mention) => `${mention} `)
    .join('');
  const lead = `${mentions}${SEVERITY_EMOJI[message.severity]} ${head}`;
  return {
    text: mentions + escapeSlackText(text),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lead + escapedWithin(rest, SECTION_TEXT_LIMIT - lead.length), verbatim: true } }],
  };
}
