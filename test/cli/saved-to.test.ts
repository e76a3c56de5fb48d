import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { gitdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** Every file under dir, repository-relative. */
function filesUnder(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

describe('where saveTo wrote, and the tokens a run used', () => {
  it('is said by run, show, --json and the committed run record, also when read back from git', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/digest.yaml': yaml({ prompt: 'Digest', output: { saveTo: 'reports/{{connector.id}}-{{run.id}}.md' } }) });
    const { env } = fakeClaudeEnv();
    const ran = await cli(['run', 'digest', '--repo', root], { env });
    expect(ran.code).toBe(0);
    const saved = /^saved to (reports\/digest-\S+\.md)$/m.exec(ran.stdout)?.[1] as string;
    expect(readFileSync(path.join(root, saved), 'utf8')).toBe('Done: Digest\n');
    expect(ran.stdout).toContain('tokens 2400 in, 52 out, 100 cache read, 0 cache creation');

    const id = /^run (\S+)/.exec(ran.stdout)?.[1] as string;
    const shown = await cli(['show', id, '--repo', root]);
    expect(shown.stdout).toContain(`saved to ${saved}\n`);
    expect(shown.stdout).toContain('tokens 2400 in, 52 out, 100 cache read, 0 cache creation\n');
    expect(JSON.parse((await cli(['show', id, '--repo', root, '--json'])).stdout)).toMatchObject({ id, savedTo: saved });

    expect((await cli(['snapshot', '--repo', root])).code).toBe(0);
    const [record] = filesUnder(root, 'state/runs');
    expect(JSON.parse(readFileSync(path.join(root, record as string), 'utf8'))).toMatchObject({ id, savedTo: saved });
    // A clone without a registry reads the committed record.
    rmSync(path.join(root, '.agent-hub'), { recursive: true, force: true });
    expect((await cli(['show', id, '--repo', root])).stdout).toContain(`saved to ${saved}\n`);
  });

  it('a run that saved nothing says nothing about it', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const ran = await cli(['run', 'a', '--repo', root, '--json'], { env: fakeClaudeEnv().env });
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'success', savedTo: null });
  });
});
