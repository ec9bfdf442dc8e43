import t from 'tap';
import { formatCommentAdded } from '../../formatters/comment-added.js';
import { formatCommentRemoved } from '../../formatters/comment-removed.js';

const context = { width: 200 };

function commentEvent(type: string, comment: Record<string, unknown>) {
  return {
    type,
    timestamp: 1700000000,
    comment: {
      author: 'carol',
      text: 'Scheduled for replacement in Q1',
      entry_type: 1,
      host_name: 'db01',
      service_name: 'disk',
      name: 'c2a26638',
      ...comment,
    },
  };
}

t.test('a user comment on a service', async (t) => {
  const message = formatCommentAdded(commentEvent('CommentAdded', {}), context);
  t.equal(message.text, 'carol commented on db01!disk: Scheduled for replacement in Q1');
  t.equal(message.severity, 'info');
  t.equal(message.host, 'db01');
  t.equal(message.service, 'disk');
  t.same(message.fields, {
    type: 'CommentAdded',
    host: 'db01',
    service: 'disk',
    object: 'db01!disk',
    author: 'carol',
    comment: 'Scheduled for replacement in Q1',
    entry_type: 'user',
    comment_name: 'c2a26638',
  });
});

t.test('a comment on a host has service_name "" and no service', async (t) => {
  const message = formatCommentAdded(commentEvent('CommentAdded', { service_name: '' }), context);
  t.equal(message.text, 'carol commented on db01: Scheduled for replacement in Q1');
  t.equal(message.service, undefined);
  t.equal(message.fields.object, 'db01');
});

t.test('comments Icinga2 adds itself name their kind', async (t) => {
  const kinds: [number, string][] = [[2, 'downtime'], [3, 'flapping'], [4, 'acknowledgement']];
  for (const [entryType, kind] of kinds) {
    const added = formatCommentAdded(commentEvent('CommentAdded', { entry_type: entryType, text: 'x' }), context);
    t.equal(added.text, `carol commented on db01!disk (${kind}): x`);
    t.equal(added.fields.entry_type, kind);
    const removed = formatCommentRemoved(commentEvent('CommentRemoved', { entry_type: entryType, text: 'x' }), context);
    t.equal(removed.text, `Comment (${kind}) by carol removed from db01!disk: x`);
  }
});

t.test('a removed comment', async (t) => {
  const message = formatCommentRemoved(commentEvent('CommentRemoved', { text: 'Log rotation broke\ncleaning /var' }), context);
  t.equal(message.text, 'Comment by carol removed from db01!disk: Log rotation broke / cleaning /var');
  t.equal(message.severity, 'info');
});

t.test('comments without author or text lose only those words', async (t) => {
  t.equal(formatCommentAdded(commentEvent('CommentAdded', { author: '', text: null }), context).text, 'Someone commented on db01!disk');
  t.equal(formatCommentRemoved(commentEvent('CommentRemoved', { author: null, text: '' }), context).text, 'Comment removed from db01!disk');
});

t.test('a long comment is cut, the object stays', async (t) => {
  const message = formatCommentAdded(commentEvent('CommentAdded', { text: 'word '.repeat(100) }), { width: 50 });
  t.equal(message.text.length, 50);
  t.ok(message.text.startsWith('carol commented on db01!disk: word word'));
  t.ok(message.text.endsWith('…'));
});

t.test('comment events without a comment object or host fall back to the generic line', async (t) => {
  for (const event of [
    { type: 'CommentAdded' },
    { type: 'CommentAdded', comment: 'text' },
    { type: 'CommentAdded', comment: { text: 'x', host_name: '' } },
    { type: 'CommentAdded', host: 'web01', comment: null },
  ]) {
    t.match(formatCommentAdded(event, context).text, /^Icinga2 event CommentAdded/);
    t.match(formatCommentRemoved({ ...event, type: 'CommentRemoved' }, context).text, /^Icinga2 event CommentRemoved/);
  }
});
