import { describe, expect, it } from 'vitest';
import { eventRisks } from '../../src/events/risks.js';
import type { ConnectorSpec } from '../../src/core/types.js';

// The plan's risky changes for triggers and deliveries, as plain data in and out.
const spec = (extra: Partial<ConnectorSpec> = {}): ConnectorSpec => ({
  id: 'triage', enabled: true, inputs: {}, prompt: 'p', agent: { type: 'claude', env: {}, timeout: '5m' }, output: { format: 'text' },
  retry: { attempts: 1, backoff: { initial: '10s', max: '5m', factor: 2 } }, concurrency: 'forbid', budget: {}, ...extra,
});

describe('eventRisks', () => {
  it('says nothing when triggers and deliveries did not change', () => {
    const s = spec({ on: { github: { events: ['issues'] } }, deliver: [{ type: 'github-comment' }] });
    expect(eventRisks(s, structuredClone(s))).toEqual([]);
    expect(eventRisks(spec(), spec({ prompt: 'other' }))).toEqual([]);
    expect(eventRisks(s, undefined)).toEqual([]);
  });

  it('names a new trigger and a new delivery, with where results go and which credential', () => {
    expect(eventRisks(undefined, spec({
      on: { github: { events: ['issues'], actions: ['opened'] }, webhook: { secret: '${HOOK}' } },
      deliver: [{ type: 'webhook', url: 'https://chat.example/hook', slack: true }, { type: 'github-comment', update: true }],
    }))).toEqual([
      { connector: 'triage', message: 'new trigger: GitHub events issues (actions opened, repositories any) start runs' },
      { connector: 'triage', message: 'new trigger: POST /hooks/triage signed with ${HOOK}' },
      { connector: 'triage', message: 'new delivery: posts results to https://chat.example/hook' },
      { connector: 'triage', message: "new delivery: comments on the triggering repository#(triggering issue or PR) (editing its comment) with the hub's GitHub token" },
    ]);
  });

  it('flags widened triggers: more events, a dropped command, non-members allowed, changed credentials', () => {
    const before = spec({ on: { github: { events: ['issue_comment'], command: '/review' }, webhook: { token: '${A}' } } });
    const after = spec({ on: { github: { events: ['issue_comment', 'pull_request'], authorAssociations: ['OWNER', 'CONTRIBUTOR'] }, webhook: { token: '${B}' } } });
    expect(eventRisks(before, after).map((r) => r.message)).toEqual([
      'GitHub trigger takes more events: pull_request',
      'comment command /review → (none: any comment starts a run)',
      "people outside the repository's members (CONTRIBUTOR) can start runs by commenting",
      'webhook credentials changed: ${A} → ${B}',
    ]);
  });

  it('flags a delivery moved to another place or credential', () => {
    const before = spec({ deliver: [{ type: 'webhook', url: 'https://a.example/x' }] });
    expect(eventRisks(before, spec({ deliver: [{ type: 'webhook', url: 'https://b.example/x' }] })).map((r) => r.message)).toEqual(['new or changed delivery: posts results to https://b.example/x']);
    expect(eventRisks(spec({ deliver: [{ type: 'github-issue', repository: 'a/b' }] }), spec({ deliver: [{ type: 'github-issue', repository: 'a/b', token: '${ADMIN}' }] })).map((r) => r.message))
      .toEqual(['new or changed delivery: opens or updates issues in a/b with ${ADMIN}']);
  });
});
