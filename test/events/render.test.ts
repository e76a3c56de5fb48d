import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { testdir } from '../helpers/repo.js';

// `agent-hub render <id> --event payload.json`: the prompt an event would give, locally.
describe('render --event', () => {
  it('renders with a saved payload, and says when the connector would not take that event', async () => {
    const root = testdir({
      'connectors/review.yaml': JSON.stringify({ on: { github: { events: ['issue_comment'], command: '/review' } }, prompt: 'Review #{{event.payload.issue.number}} ({{event.name}}): {{event.command.args}}' }),
      'member.json': JSON.stringify({ action: 'created', issue: { number: 4 }, comment: { body: '/review the tests', author_association: 'MEMBER' } }),
      'stranger.json': JSON.stringify({ action: 'created', issue: { number: 4 }, comment: { body: '/review x', author_association: 'NONE' } }),
    });
    const ok = await cli(['render', 'review', '--repo', root, '--event', path.join(root, 'member.json')]);
    expect(ok).toMatchObject({ code: 0, stdout: 'Review #4 (issue_comment): the tests\n', stderr: '' });
    const ignored = await cli(['render', 'review', '--repo', root, '--event', path.join(root, 'stranger.json')]);
    expect(ignored.stderr).toContain("note: this issue_comment event would not start review: the author's association NONE may not start it\n");
    expect(ignored.code).toBe(1); // no command matched, so event.command is missing: strict templates say so
    expect((await cli(['render', 'review', '--repo', root])).stderr).toContain('(this run has no event: only runs a delivery started have one');
  });
});
