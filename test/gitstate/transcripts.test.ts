import { describe, expect, it, onTestFinished } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { git, gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { cli } from '../helpers/cli.js';
import { hubView } from '../../src/server/hub-view.js';
import { HubMetrics } from '../../src/server/metrics.js';
import { metricsSource } from '../../src/server/hub-view.js';
import { runPage } from '../../src/server/dashboard.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

describe('committed transcripts', () => {
  it('on state.branch: committed next to the record, listed in it, and read back from git when the local copy is gone', async () => {
    const root = gitdir({
      '.gitignore': '.agent-hub/\n', 'hub.yaml': 'state:\n  branch: agent-hub/state\n',
      'connectors/a.yaml': yaml({ prompt: 'x\n@fake tool Bash {"command":"ls -la /srv"}' }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    const e = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    await hub.gitState.commit();
    const files = git(root, 'ls-tree', '-r', '--name-only', 'agent-hub/state', 'state/runs').split('\n');
    const record = files.find((f) => f.endsWith(`${e.id}.json`)) as string;
    expect(files).toContain(record.replace(/\.json$/, '.transcript.jsonl'));
    expect(JSON.parse(git(root, 'show', `agent-hub/state:${record}`)).transcript).toBe(`${e.id}.transcript.jsonl`);

    // Committed: the local copy goes (pruned after the commit), and the state is read instead.
    await eventually(() => expect(existsSync(path.join(root, '.agent-hub', 'transcripts', `${e.id}.jsonl`))).toBe(false));
    const page = await runPage(hubView(hub, new HubMetrics(metricsSource(hub))), e.id, { tokenRequired: false });
    expect(page).toContain('<code>ls -la /srv</code>');
    await hub.stop(0);
    const shown = await cli(['show', e.id, '--transcript', '--repo', root]);
    expect(shown.stdout).toMatch(/Bash {5}ls -la \/srv/);
  });
});
