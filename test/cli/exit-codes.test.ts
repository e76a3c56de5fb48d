import { describe, expect, it, onTestFinished } from 'vitest';
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { cli, type CliResult } from '../helpers/cli.js';
import { git, gitdir, testdir, writeFiles } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { reportFailure } from '../../src/cli/main.js';

// One test per kind of outcome, each through the built CLI on a real repository: the exit
// code scripts see, and what a person reads (a user error never shows a stack).
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const STACK = /^\s+at /m;

function userError(r: CliResult, code: number, text: string): void {
  expect(r.code).toBe(code);
  expect(r.stderr).toContain(text);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr).not.toContain('internal error');
}

describe('exit codes', () => {
  it('bad usage exits 2', async () => {
    userError(await cli(['run', 'x', '--input', 'novalue']), 2, '--input expects key=value');
  });

  it('an invalid connector file exits 1', async () => {
    const root = testdir({ 'connectors/bad.yaml': yaml({ prompt: 'x', schedule: 'never' }) });
    const r = await cli(['validate', '--repo', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('connectors/bad.yaml');
  });

  it('a failed run exits 1', async () => {
    const root = testdir({ 'connectors/down.yaml': yaml({ prompt: 'x\n@fake is_error Invalid API key' }) });
    const r = await cli(['run', 'down', '--repo', root], { env: fakeClaudeEnv().env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('failed (agent-error)');
  });

  it('another hub holding the lock exits 75, for start and restore alike', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const held = `another agent-hub (pid ${d.proc.pid}) is already running on this repository`;
    userError(await cli(['start', '--repo', root, '--port', '0']), 75, held);
    userError(await cli(['restore', '--repo', root]), 75, held);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('a database written by a newer agent-hub exits 65 and says to upgrade', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    const db = new Database(path.join(root, '.agent-hub/hub.db'));
    db.pragma('user_version = 999');
    db.close();
    const r = await cli(['status', '--repo', root]);
    userError(r, 65, `${path.join(root, '.agent-hub/hub.db')} was written by a newer agent-hub`);
    expect(r.stderr).toContain('upgrade agent-hub');
  });

  it('an invalid hub.yaml exits 78 where a command needs it; validate reports it as a failed check', async () => {
    const root = testdir({ 'hub.yaml': 'concurrency: lots\n', 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    userError(await cli(['run', 'a', '--repo', root]), 78, 'hub.yaml is invalid');
    expect((await cli(['validate', '--repo', root])).code).toBe(1);
  });

  it('a port already taken exits 1 and says how to pick another', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'a' }) });
      userError(await cli(['start', '--repo', root, '--port', String(port)]), 1, `address already in use 127.0.0.1:${port}: pick another with --port`);
    } finally {
      busy.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk exits 1 and says so, without a stack (mounts a small tmpfs: root only)', async () => {
    const disk = path.join(testdir(), 'disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    onTestFinished(() => void execFileSync('umount', ['-l', disk]));
    const root = path.join(disk, 'hub');
    writeFiles(root, { 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    writeFiles(root, { 'connectors/b.yaml': yaml({ prompt: 'b'.repeat(64 * 1024) }) });
    try {
      for (;;) appendFileSync(path.join(disk, 'filler'), Buffer.alloc(4096, 1));
    } catch {
      // full
    }
    const r = await cli(['apply', '--repo', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agent-hub: (disk full|I\/O error): /);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a bug exits 70 with its stack and a hint to report it', async () => {
    let bug: unknown;
    try {
      JSON.parse('{"connectors": null}').connectors.map(String);
    } catch (err) {
      bug = err;
    }
    let printed = '';
    expect(await reportFailure(bug, (t) => (printed += t))).toBe(70);
    expect(printed).toMatch(/^agent-hub: internal error: TypeError: Cannot read properties of null/);
    expect(printed).toMatch(STACK);
    expect(printed).toContain('This is a bug in agent-hub; please report it');
  });

  it('restore: a snapshot from a newer agent-hub exits 65; a bug is reported as a bug, not as a problem for the user', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    expect((await cli(['snapshot', '--repo', root])).code).toBe(0);
    const meta = path.join(root, 'state/registry/meta.json');
    const written = readFileSync(meta, 'utf8');
    const rows = path.join(root, 'state/registry/connectors.jsonl');
    writeFileSync(meta, '{"format": 1, "schemaVersion": 999}\n');
    writeFileSync(rows, '{"id":"a","column_of_the_future":1}\n');
    git(root, 'commit', '-qam', 'state from a newer agent-hub');
    rmSync(path.join(root, '.agent-hub'), { recursive: true, force: true });
    userError(await cli(['restore', '--repo', root]), 65, 'state/registry/meta.json was written by a newer agent-hub (schema version 999');

    // A merge left its markers in the snapshot: the user's to fix, named with its line.
    writeFileSync(meta, written);
    writeFileSync(rows, '<<<<<<< HEAD\n');
    git(root, 'commit', '-qam', 'a bad merge');
    userError(await cli(['restore', '--repo', root]), 1, 'state/registry/connectors.jsonl:1: not valid JSON');

    // A line that is JSON but not a row: the loader does not expect it (a defect to report).
    writeFileSync(rows, 'null\n');
    git(root, 'commit', '-qam', 'damage the snapshot');
    const r = await cli(['restore', '--repo', root]);
    expect(r.code).toBe(70);
    expect(r.stderr).toContain('internal error: TypeError');
    expect(r.stderr).toContain('please report it');
    // What the user can fix stays a user error: nothing committed to restore from.
    userError(await cli(['restore', '--repo', gitdir({ 'connectors/a.yaml': yaml({ prompt: 'a' }) })]), 1, 'nothing to restore from');
  });

  it('snapshot keeps a refusal the user can fix as a user error, with what it was doing', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'a' }) });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    writeFileSync(path.join(root, '.git/hooks/pre-commit'), '#!/bin/sh\necho "no robots here" >&2\nexit 1\n', { mode: 0o755 });
    userError(await cli(['snapshot', '--repo', root]), 1, 'could not commit the state: the pre-commit hook rejected the state commit: no robots here');
  });

  it('better-sqlite3 without its native module (npm skipped its install script) is a user error saying how to reinstall, not a bug', () => {
    // The package laid out as npm installs it, but with better-sqlite3's build/ missing: what
    // npm 12 leaves by default, since it runs a dependency's install script only when allowed.
    const REPO = fileURLToPath(new URL('../../', import.meta.url));
    const pkg = testdir();
    for (const part of ['bin', 'dist', 'package.json']) cpSync(path.join(REPO, part), path.join(pkg, part), { recursive: true });
    const modules = path.join(REPO, 'node_modules');
    mkdirSync(path.join(pkg, 'node_modules'));
    for (const name of readdirSync(modules)) {
      if (name !== 'better-sqlite3' && !name.startsWith('.')) symlinkSync(path.join(modules, name), path.join(pkg, 'node_modules', name));
    }
    for (const part of ['package.json', 'lib']) cpSync(path.join(modules, 'better-sqlite3', part), path.join(pkg, 'node_modules', 'better-sqlite3', part), { recursive: true });
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'agent-hub.js'), 'status', '--repo', root], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    userError({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, 1, 'better-sqlite3');
    expect(r.stderr).toContain('npm install -g --allow-scripts=better-sqlite3 agent-hub-cli');
    // validate needs no database: it still works.
    expect(spawnSync(process.execPath, [path.join(pkg, 'bin', 'agent-hub.js'), 'validate', '--repo', root]).status).toBe(0);
  });

  it('an unbuilt checkout (no dist/) is a user error saying to build, as JSON with --json', () => {
    const REPO = fileURLToPath(new URL('../../', import.meta.url));
    const pkg = testdir();
    cpSync(path.join(REPO, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    const bin = path.join(pkg, 'bin', 'agent-hub.js');
    const text = spawnSync(process.execPath, [bin, 'status'], { encoding: 'utf8' });
    userError({ code: text.status ?? -1, stdout: text.stdout, stderr: text.stderr }, 1, 'npm run build');
    const json = spawnSync(process.execPath, [bin, 'status', '--json'], { encoding: 'utf8' });
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: { message: expect.stringContaining('npm run build'), code: 'failed', exit: 1 } });
  });
});
