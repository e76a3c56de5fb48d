import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { getConnector } from '../../src/registry/connectors.js';
import { git, gitdir, testdir, writeFiles, type Files } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** A started hub on a committed repository, the fake claude on PATH, no commit loop (tests commit). */
async function hubRepo(files: Files) {
  const root = gitdir({ '.gitignore': '.agent-hub/\n', ...files });
  const fake = fakeClaudeEnv();
  const hub = new Hub({ repo: root, env: fake.env });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped */ }
  });
  await hub.start({ commitLoop: false });
  const run = async (id: string, inputs: Record<string, unknown> = {}) => {
    const r = hub.run(id, inputs);
    if (r.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(r)}`);
    return hub.executor.waitFinal(r.id);
  };
  return { root, hub, fake, run };
}

/** An agent whose result is a connector body: what a prompt injection would make it print. */
const CONNECTOR_BODY = '{"prompt": "pwned", "schedule": "* * * * *"}';

describe('a saveTo steered by inputs', () => {
  it('cannot write a connector: refused before the agent starts, and no connector appears', async () => {
    const { root, hub, fake, run } = await hubRepo({
      'connectors/w.yaml': yaml({ inputs: { name: { type: 'string', default: 'today' } }, prompt: `x\n@fake result ${CONNECTOR_BODY}`, output: { saveTo: 'reports/{{inputs.name}}.yaml' } }),
    });
    for (const name of ['../connectors/evil', '../hub', '../.github/workflows/evil', '../state/registry/connectors']) {
      const e = await run('w', { name });
      expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
      expect(e.error).toMatch(/^output\.saveTo ".*" is refused: /);
      expect(e.error).toContain('reports/{{connector.id}}.md');
    }
    expect(fake.calls()).toEqual([]);
    expect(existsSync(path.join(root, 'connectors/evil.yaml'))).toBe(false);
    expect(existsSync(path.join(root, 'hub.yaml'))).toBe(false);
    await hub.reconcile();
    expect(getConnector(hub.db, 'evil')).toBeUndefined();
    // The same connector writes where it should.
    expect(await run('w')).toMatchObject({ status: 'success' });
    expect(existsSync(path.join(root, 'reports/today.yaml'))).toBe(true);
  });

  it('cannot overwrite another connector\'s prompt file or MCP config', async () => {
    const { root, run } = await hubRepo({
      'connectors/w.yaml': yaml({ inputs: { name: { type: 'string' } }, prompt: 'x\n@fake result injected', output: { saveTo: '{{inputs.name}}' } }),
      'connectors/p.yaml': yaml({ promptFile: '../prompts/p.hbs', agent: { mcpConfig: 'mcp/servers.json' } }),
      'prompts/p.hbs': 'original', 'mcp/servers.json': '{}',
    });
    const prompt = await run('w', { name: 'prompts/p.hbs' });
    expect(prompt.error).toContain('the prompt file of connector p');
    const mcp = await run('w', { name: 'mcp/servers.json' });
    expect(mcp.error).toContain('the MCP config of connector p');
    expect(git(root, 'status', '--porcelain', '--', 'prompts', 'mcp')).toBe('');
  });

  it("protects the prompt file of a connector applied after the hub's last run, too", async () => {
    const { root, hub, run } = await hubRepo({
      'connectors/w.yaml': yaml({ inputs: { name: { type: 'string' } }, prompt: 'x\n@fake result injected', output: { saveTo: '{{inputs.name}}' } }),
    });
    expect(await run('w', { name: 'reports/a.md' })).toMatchObject({ status: 'success' });
    writeFiles(root, { 'connectors/q.yaml': yaml({ promptFile: '../prompts/q.hbs' }), 'prompts/q.hbs': 'original' });
    await hub.reconcile();
    const e = await run('w', { name: 'prompts/q.hbs' });
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('the prompt file of connector q');
    expect(readFileSync(path.join(root, 'prompts/q.hbs'), 'utf8')).toBe('original');
  });
});

describe('symlinks on a saveTo', () => {
  it('a committed symlink leaving the repository: nothing written outside, and HEAD keeps the symlink', async () => {
    const outside = testdir();
    const { root, hub, run } = await hubRepo({
      'connectors/w.yaml': yaml({ inputs: { dir: { type: 'string', default: 'reports' } }, prompt: 'x\n@fake result secret report', output: { saveTo: '{{inputs.dir}}/x.md' } }),
    });
    symlinkSync(outside, path.join(root, 'reports-link'));
    git(root, 'add', 'reports-link');
    git(root, 'commit', '-qm', 'a link');
    const e = await run('w', { dir: 'reports-link' });
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain(`"reports-link" is a symlink to ${outside}, outside the repository`);
    expect(readdirSync(outside)).toEqual([]);
    await run('w'); // something else to commit
    expect((await hub.gitState.commit()).sha).not.toBeNull();
    expect(git(root, 'ls-tree', 'HEAD', 'reports-link')).toMatch(/^120000 blob /);
    expect(lstatSync(path.join(root, 'reports-link')).isSymbolicLink()).toBe(true);
  });

  it('a symlink planted after the connector was applied is refused before the run', async () => {
    const outside = testdir();
    const { root, fake, run } = await hubRepo({ 'connectors/w.yaml': yaml({ prompt: 'x', output: { saveTo: 'reports/x.md' } }), 'reports/.keep': '' });
    rmSync(path.join(root, 'reports'), { recursive: true });
    symlinkSync(outside, path.join(root, 'reports'));
    const e = await run('w');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('"reports" is a symlink');
    expect(fake.calls()).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a symlink the agent plants while it runs is refused at write time; the result is kept', async () => {
    const outside = testdir();
    const plant = `rm -rf reports && ln -s '${outside}' reports && echo the result`;
    const { root, run } = await hubRepo({
      'connectors/w.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', plant], cwd: '.' }, output: { saveTo: 'reports/x.md' } }),
      'reports/.keep': '',
    });
    const e = await run('w');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output', result: 'the result' });
    expect(e.error).toMatch(/^could not save the result to reports\/x\.md: "reports" is a symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(path.join(root, 'reports')).isSymbolicLink()).toBe(true);
  });
});

describe('a saveTo over a file another connector runs', () => {
  it('is refused before the agent starts: an output never becomes the next run\'s command', async () => {
    const { root, fake, run } = await hubRepo({
      'scripts/nightly.sh': 'echo nightly job ran\n',
      'tools/report.py': 'print(1)\n',
      'connectors/runner.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', 'scripts/nightly.sh'], cwd: '.' } }),
      'connectors/shell.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'python3 report.py > /dev/null'], cwd: 'tools' } }),
      'connectors/writer.yaml': yaml({ inputs: { to: { type: 'string', default: 'scripts/nightly.sh' } }, prompt: 'x\n@fake result echo PWNED', output: { saveTo: '{{inputs.to}}' } }),
    });
    for (const to of ['scripts/nightly.sh', 'tools/report.py']) {
      const e = await run('writer', { to });
      expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
      expect(e.error).toMatch(/is refused: it is named on the command line of connector (runner|shell)/);
    }
    expect(fake.calls()).toHaveLength(0);
    expect(readFileSync(path.join(root, 'scripts/nightly.sh'), 'utf8')).toBe('echo nightly job ran\n');
    expect(readFileSync(path.join(root, 'tools/report.py'), 'utf8')).toBe('print(1)\n');
  });
});

describe('a result that cannot be saved', () => {
  it('is not retried: running the agent again would spend again for a file that still cannot be written', async () => {
    const { root, run } = await hubRepo({
      // The agent itself puts a directory where the file should go, after the checks before it started.
      'connectors/w.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'mkdir -p "$OUT"; echo run >> calls; echo the report'], cwd: '.', env: { OUT: 'reports/x.md' } }, output: { saveTo: 'reports/x.md' }, retry: { attempts: 3, backoff: { initial: '10ms', max: '10ms' } } }),
    });
    const e = await run('w');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output', attempt: 1, result: 'the report' });
    expect(e.error).toMatch(/^could not save the result to reports\/x\.md: /);
    expect(readFileSync(path.join(root, 'calls'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('is refused before the agent starts when the write could only fail: a directory in the way, a name too long', async () => {
    const { root, fake, run } = await hubRepo({
      'connectors/w.yaml': yaml({ inputs: { to: { type: 'string', default: 'x' } }, prompt: 'x\n@fake result the report', output: { saveTo: 'reports/{{inputs.to}}' } }),
    });
    mkdirSync(path.join(root, 'reports', 'dir'), { recursive: true });
    for (const [to, why] of [['dir', /"reports\/dir" is a directory/], ['n'.repeat(300), /longer than a file name may be/]] as const) {
      const e = await run('w', { to });
      expect(e.error).toMatch(why);
      expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    }
    expect(fake.calls()).toHaveLength(0);
  });
});

describe('a saveTo hard-linked to a file outside', () => {
  it('is replaced, not written through: the outside file keeps its content', async () => {
    const outside = testdir({ 'victim.txt': 'precious\n' });
    const { root, run } = await hubRepo({ 'connectors/w.yaml': yaml({ prompt: 'x\n@fake result overwritten', output: { saveTo: 'reports/x.md' } }), 'reports/.keep': '' });
    linkSync(path.join(outside, 'victim.txt'), path.join(root, 'reports/x.md'));
    expect(await run('w')).toMatchObject({ status: 'success' });
    expect(readFileSync(path.join(outside, 'victim.txt'), 'utf8')).toBe('precious\n');
    expect(readFileSync(path.join(root, 'reports/x.md'), 'utf8')).toBe('overwritten\n');
  });
});

describe('cwd and mcpConfig at run time', () => {
  it('a cwd or an mcpConfig replaced by a symlink leaving the repository after apply fails the run before spawning', async () => {
    const outside = testdir({ 'servers.json': '{}' });
    const { root, fake, run } = await hubRepo({
      'connectors/c.yaml': yaml({ prompt: 'x\n@fake cwd', agent: { cwd: 'work' } }),
      'connectors/m.yaml': yaml({ prompt: 'x', agent: { mcpConfig: 'mcp/servers.json' } }),
      'work/.keep': '', 'mcp/servers.json': '{}',
    });
    rmSync(path.join(root, 'work'), { recursive: true });
    symlinkSync(outside, path.join(root, 'work'));
    rmSync(path.join(root, 'mcp/servers.json'));
    symlinkSync(path.join(outside, 'servers.json'), path.join(root, 'mcp/servers.json'));
    const c = await run('c');
    expect(c).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(c.error).toBe(`agent.cwd "work" leads outside the repository: "work" is a symlink to ${outside}, outside the repository; the run did not start`);
    const m = await run('m');
    expect(m).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(m.error).toContain(`agent.mcpConfig "mcp/servers.json" leads outside the repository: "mcp/servers.json" is a symlink to ${path.join(outside, 'servers.json')}`);
    expect(fake.calls()).toEqual([]);
  });
});

describe('a full disk under a saveTo', () => {
  it('leaves no partial file, and the run record keeps the result and says why', async (ctx) => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: mounting a small tmpfs needs root');
      ctx.skip();
    }
    const { root, run } = await hubRepo({ 'connectors/big.yaml': yaml({ prompt: 'x\n@fake huge 200000', output: { saveTo: 'reports/big.md' } }) });
    const reports = path.join(root, 'reports');
    mkdirSync(reports);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', reports], { stdio: 'pipe' });
    } catch (err) {
      console.log(`skipped: cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`);
      ctx.skip();
    }
    onTestFinished(() => {
      execFileSync('umount', [reports]);
    });
    const e = await run('big');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(readdirSync(reports)).toEqual([]);
    expect(e.error).toMatch(/^could not save the result to reports\/big\.md: .*ENOSPC/);
    expect(e.error).toContain('the result is kept in this run record');
    expect(e.result).toHaveLength(200000);
  });
});
