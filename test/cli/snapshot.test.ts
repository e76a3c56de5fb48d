import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { connector, git, gitdir } from '../helpers/repo.js';

describe('agent-hub snapshot exit codes', () => {
  it('exits 0 when it committed, 0 with "nothing to commit" when git is up to date, 1 when it could not commit', async () => {
    const root = gitdir({ 'connectors/c.yaml': connector(), '.gitignore': '.agent-hub/\n' });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    const first = await cli(['snapshot', '--repo', root]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^committed [0-9a-f]{12}: 0 runs and the registry snapshot/) });
    const again = await cli(['snapshot', '--repo', root]);
    expect(again).toMatchObject({ code: 0, stdout: 'nothing to commit: the state in git is up to date\n' });

    git(root, 'checkout', '--quiet', '--detach');
    git(root, 'rm', '--quiet', '-r', 'state');
    git(root, 'commit', '--quiet', '-m', 'drop state');
    const deferred = await cli(['snapshot', '--repo', root]);
    expect(deferred.code).toBe(1);
    expect(deferred.stderr).toMatch(/^agent-hub: not committed: HEAD is detached.*run agent-hub snapshot again\n$/);
    const json = await cli(['snapshot', '--json', '--repo', root]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ sha: null, deferred: expect.stringContaining('HEAD is detached') });
  });
});
