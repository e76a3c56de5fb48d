import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../src/hub.js';
import { git, gitdir, writeFiles } from './helpers/repo.js';
import { eventually, fakeClaudeEnv } from './helpers/fake-agent.js';

describe("the hub's loops", () => {
  it('a shorter state.commitInterval in hub.yaml commits on the new rhythm without a restart', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'hub.yaml': 'state:\n  commitInterval: 10m\n', 'connectors/a.yaml': JSON.stringify({ prompt: 'hello' }) });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start();
    const run = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    writeFiles(root, { 'hub.yaml': 'state:\n  commitInterval: 200ms\n' });
    await hub.reconcile('files');
    await eventually(() => expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${run.id} a success`), 5000);
  });
});
