import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testdir } from '../helpers/repo.js';
import { FIXTURES } from '../helpers/fake-agent.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The README's quick start: the lines of its first sh block, without their comments. */
function quickStart(): string[] {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const block = /## Quick start\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no quick start sh block');
  return block.split('\n').map((l) => l.replace(/\s{2,}#.*$/, '').trim()).filter(Boolean);
}

/**
 * The package as `npm pack` makes it, installed the way `npm install -g` lays a package
 * out: its files under <prefix>/lib/node_modules/<name>, each of its bins linked in
 * <prefix>/bin. Its dependencies are the repository's own installed ones (the same
 * lockfile), linked rather than downloaded: a real install needs the registry and
 * minutes. AGENT_HUB_TEST_NPM_INSTALL=1 runs the real `npm install -g <tarball>` instead.
 */
function installPacked(prefix: string): { name: string; tarball: string; packOutput: string } {
  const dest = testdir();
  // npm test builds first; --ignore-scripts packs that build instead of building again.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: REPO, encoding: 'utf8' });
  expect(pack.status).toBe(0);
  const [info] = JSON.parse(pack.stdout) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error('npm pack printed nothing');
  const files = info.files.map((f) => f.path);
  expect(files).toContain('dist/cli/main.js');
  expect(files).toContain('LICENSE');
  expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/'))).toEqual([]);
  const tarball = path.join(dest, info.filename);
  if (process.env.AGENT_HUB_TEST_NPM_INSTALL === '1') {
    // The README's flag: npm 12 runs better-sqlite3's install script (its native build) only when allowed.
    execFileSync('npm', ['install', '-g', '--allow-scripts=better-sqlite3', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { stdio: 'inherit' });
    return { name: info.name, tarball, packOutput: pack.stderr };
  }
  const dir = path.join(prefix, 'lib', 'node_modules', info.name);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts?: Record<string, string> };
  // Installing runs none of the package's scripts: it ships its build.
  expect(Object.keys(manifest.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
  mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  for (const [bin, file] of Object.entries(manifest.bin)) symlinkSync(path.join(dir, file), path.join(prefix, 'bin', bin));
  return { name: info.name, tarball, packOutput: pack.stderr };
}

describe('the README quick start', () => {
  it('works word for word in an empty directory with the packed package installed', async () => {
    const prefix = testdir();
    const { name, packOutput } = installPacked(prefix);
    expect(packOutput).not.toMatch(/warn/i);
    const home = testdir();
    const work = testdir();
    const env: NodeJS.ProcessEnv = {
      ...process.env, HOME: home, PATH: `${path.join(prefix, 'bin')}:${FIXTURES}:${process.env.PATH}`, NO_COLOR: '1',
      GIT_AUTHOR_NAME: 'Pat', GIT_AUTHOR_EMAIL: 'pat@example.com', GIT_COMMITTER_NAME: 'Pat', GIT_COMMITTER_EMAIL: 'pat@example.com',
      GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    };
    // The installed command says its own version, whatever npm script runs it.
    const version = spawnSync('agent-hub', ['--version'], { env: { ...env, npm_package_version: '9.9.9' }, encoding: 'utf8' });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
    const lines = quickStart();
    expect(lines[0]).toBe(`npm install -g --allow-scripts=better-sqlite3 ${name}`); // done above, from the tarball
    let cwd = work;
    const outputs = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const cd = /^cd (\S+)$/.exec(line);
      if (cd) {
        cwd = path.resolve(cwd, cd[1] as string);
        continue;
      }
      if (line === 'agent-hub start') {
        await startAndStop(cwd, env);
        continue;
      }
      const r = spawnSync('bash', ['-c', line], { cwd, env, encoding: 'utf8' });
      expect({ line, code: r.status, stderr: r.stderr }).toEqual({ line, code: 0, stderr: expect.any(String) });
      outputs.set(line, r.stdout);
    }
    expect(outputs.get('agent-hub init my-hub')).toContain('next:\n  cd my-hub\n  agent-hub run hello');
    expect(outputs.get('agent-hub run hello')).toMatch(/hello\s+success/);
    // Committed with what was applied: status names the commit, not "(uncommitted)".
    const head = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    expect(outputs.get('agent-hub status')).toMatch(new RegExp(`hello\\s+active\\s+synced\\s+manual only.*@${head}`));
    expect(outputs.get('agent-hub status')).toContain('hub: not running on this repository');
    // The hub committed the run on its state branch at shutdown; main has only the person's commit.
    const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    expect(git('log', '--format=%s', 'main')).toBe('agent-hub: initial connectors');
    expect(git('log', '-1', '--format=%an %s', 'agent-hub/state')).toMatch(/^agent-hub state: 1 run \(1 success\)/);
    expect(git('status', '--porcelain')).toBe('');
    expect(readdirSync(work)).toEqual(['my-hub']);
    expect(existsSync(path.join(cwd, '.agent-hub', 'hub.db'))).toBe(true);
  }, 60_000);
});

/** `agent-hub start` runs until stopped: started, asked for its health, then stopped as Ctrl-C would. */
async function startAndStop(cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  // Port 0: the quick start's 7420 may be taken on a test machine; the command is otherwise the same.
  const proc = spawn('agent-hub', ['start', '--port', '0'], { cwd, env: { ...env, AGENT_HUB_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"agent-hub started"/.test(out) && /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1] as string);
    });
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`agent-hub start exited (${code}): ${out}`)));
  });
  const health = await fetch(`${url}healthz`);
  expect(health.status).toBe(200);
  proc.kill('SIGINT');
  expect(await exited).toBe(0);
}
