import { describe, expect, it } from 'vitest';
import { matchGithub } from '../../src/events/github-filter.js';

// The GitHub filters as plain data: payloads shaped like GitHub's.
const repo = { full_name: 'Acme/App' };

describe('matchGithub', () => {
  it('branches: a push\'s ref, a pull request\'s base; events without a branch are not filtered by it', () => {
    const t = { events: ['push', 'pull_request', 'issues'], branches: ['main'] };
    expect(matchGithub(t, 'push', { ref: 'refs/heads/main', repository: repo })).toEqual({ ok: true });
    expect(matchGithub(t, 'push', { ref: 'refs/heads/feature', repository: repo })).toEqual({ ok: false, reason: 'branch feature is not listed' });
    expect(matchGithub(t, 'pull_request', { action: 'opened', pull_request: { base: { ref: 'dev' } } })).toEqual({ ok: false, reason: 'branch dev is not listed' });
    expect(matchGithub(t, 'issues', { action: 'opened', issue: {} })).toEqual({ ok: true });
  });

  it('labels: the label just added, or one the issue carries', () => {
    const t = { events: ['issues'], labels: ['agent'] };
    expect(matchGithub(t, 'issues', { action: 'labeled', label: { name: 'agent' }, issue: { labels: [{ name: 'agent' }] } })).toEqual({ ok: true });
    // Labelled with something else: not this label's event, even though the issue carries it.
    expect(matchGithub(t, 'issues', { action: 'labeled', label: { name: 'bug' }, issue: { labels: [{ name: 'agent' }, { name: 'bug' }] } }).ok).toBe(false);
    expect(matchGithub(t, 'issues', { action: 'opened', issue: { labels: [{ name: 'agent' }] } })).toEqual({ ok: true });
    expect(matchGithub(t, 'issues', { action: 'opened', issue: { labels: [] } })).toEqual({ ok: false, reason: 'none of the labels agent is on it' });
  });

  it('repositories compare without case; the command must be the first word', () => {
    const t = { events: ['issue_comment'], repositories: ['acme/app'], command: '/review' };
    const c = (body: string) => ({ action: 'created', issue: { number: 1 }, comment: { body, author_association: 'OWNER' }, repository: repo });
    expect(matchGithub(t, 'issue_comment', c('  /review security\nplease'))).toEqual({ ok: true, command: { name: '/review', args: 'security\nplease' } });
    expect(matchGithub(t, 'issue_comment', c('/reviewer')).ok).toBe(false);
    expect(matchGithub(t, 'issue_comment', c('please /review')).ok).toBe(false);
    expect(matchGithub({ ...t, repositories: ['other/app'] }, 'issue_comment', c('/review')).ok).toBe(false);
  });
});
