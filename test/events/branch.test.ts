import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { git, gitdir, testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { runDeliveries } from '../../src/registry/outbox.js';

// deliver: [{ type: branch }]: the agent edits a work tree; the hub commits its changes to a
// new branch and pushes it, with its own identity; the agent's tree is left as it was.
function workTree() {
  const bare = testdir();
  git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
  const work = gitdir({ 'bug.txt': 'broken\n', '.gitignore': 'scratch/\n' });
  git(work, 'remote', 'add', 'origin', bare);
  git(work, 'push', '--quiet', 'origin', 'main');
  return { bare, work };
}

describe('a branch delivery', () => {
  it('commits the agent\'s changes to a new branch and pushes it; nothing else changes', async () => {
    const { bare, work } = workTree();
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': 'deliveries: { backoff: 50ms }\nstate: { author: { name: Hub Bot, email: hub@example.com } }\n',
      'connectors/fixer.yaml': JSON.stringify({
        prompt: 'fix it',
        agent: { type: 'command', cwd: work, command: ['sh', '-c', 'echo fixed > bug.txt; echo new > added.txt; mkdir -p scratch; echo x > scratch/tmp'] },
        deliver: [{ type: 'branch', branch: 'agent/{{connector.id}}/{{run.id}}' }],
      }),
      'connectors/idle.yaml': JSON.stringify({ prompt: 'nothing', agent: { type: 'command', cwd: work, command: ['true'] }, deliver: [{ type: 'branch', branch: 'agent/idle/{{run.id}}' }] }),
      'connectors/self.yaml': JSON.stringify({ prompt: 'x', agent: { type: 'command', cwd: '.', command: ['true'] }, deliver: [{ type: 'branch', branch: 'agent/self/{{run.id}}' }] }),
    });
    const h = await startHubApp(root, fakeClaudeEnv().env);
    const r = h.hub.run('fixer', {}, 'manual') as { id: string };
    expect((await h.hub.executor.wait(r.id)).status).toBe('success');
    await eventually(() => expect(runDeliveries(h.hub.db, r.id)[0]).toMatchObject({ status: 'sent', history: [{ detail: expect.stringContaining('pushed to origin') }] }), 10_000);
    const branch = `agent/fixer/${r.id}`;
    expect(git(bare, 'show', `${branch}:bug.txt`)).toBe('fixed');
    expect(git(bare, 'show', `${branch}:added.txt`)).toBe('new');
    expect(git(bare, 'ls-tree', '-r', '--name-only', branch)).not.toContain('scratch/tmp'); // .gitignore holds
    expect(git(bare, 'log', '-1', '--format=%an <%ae>|%s', branch)).toBe(`Hub Bot <hub@example.com>|fixer: changes of run ${r.id}`);
    // The agent's work tree: same branch, same HEAD, its changes still there, nothing staged.
    expect(git(work, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(git(work, 'rev-parse', 'HEAD')).toBe(git(bare, 'rev-parse', 'main'));
    expect(readFileSync(path.join(work, 'bug.txt'), 'utf8')).toBe('fixed\n');
    expect(git(work, 'diff', '--cached', '--name-only')).toBe('');

    // Nothing to commit: no branch. The hub's own repository: refused.
    git(work, 'checkout', '--quiet', '--', '.');
    git(work, 'clean', '-fdq');
    const idle = h.hub.run('idle', {}, 'manual') as { id: string };
    await h.hub.executor.wait(idle.id);
    await eventually(() => expect(runDeliveries(h.hub.db, idle.id)[0]).toMatchObject({ status: 'sent', history: [{ detail: 'no changes in the work tree: no branch' }] }), 10_000);
    const self = h.hub.run('self', {}, 'manual') as { id: string };
    await h.hub.executor.wait(self.id);
    await eventually(() => expect(runDeliveries(h.hub.db, self.id)[0]).toMatchObject({ status: 'failed', lastError: expect.stringContaining("the hub's own repository") }), 10_000);
    expect(git(bare, 'branch', '--list', 'agent/*').split('\n')).toHaveLength(1);
  });
});
