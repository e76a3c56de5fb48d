import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, symlinkSync, utimesSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers/cli.js';
import { connector, git, gitdir, testdir, writeFiles } from '../helpers/repo.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

describe('agent-hub CLI', () => {
  it('prints help and exits 0; bad usage exits 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['init', 'validate', 'plan', 'apply', 'render', 'status', 'start']) expect(help.stdout).toContain(command);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['render'])).code).toBe(2);
    const badInput = await cli(['render', 'x', '--input', 'novalue']);
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toContain('--input expects key=value, got "novalue"');
  });

  it('init starts the main branch whatever git\'s own default is, so plan --base main works on a fresh hub', async () => {
    const home = testdir({ '.gitconfig': '[init]\n\tdefaultBranch = trunk\n[user]\n\tname = t\n\temail = t@example.com\n' });
    const dir = path.join(testdir(), 'hub');
    expect((await cli(['init', dir], { env: { HOME: home, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') } })).code).toBe(0);
    expect(readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });

  it('init scaffolds a hub repository that validates, renders, applies and shows its status', async () => {
    const dir = path.join(testdir(), 'hub');
    const init = await cli(['init', dir]);
    expect(init.code).toBe(0);
    for (const f of ['hub.yaml', 'connectors/hello.yaml', 'schemas/connector.schema.json', '.gitignore', '.gitattributes', '.git']) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(readFileSync(path.join(dir, '.gitattributes'), 'utf8')).toContain('state/** linguist-generated=true');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('.agent-hub/');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\*\.agent-hub-tmp$/m); // a write a crash cut short never shows in git status

    expect(await cli(['validate', '--repo', dir])).toMatchObject({ code: 0, stdout: '1 connector file: 1 valid, 0 invalid\n' });
    expect((await cli(['render', 'hello', '--repo', dir, '--input', 'topic=cats'])).stdout).toBe('In two sentences, say something cheerful about cats.\nAnswer directly from what you know: use no tools and read no files.\n');
    // A real model may call a tool on its first turn: the starter leaves it turns to answer after that.
    expect(readFileSync(path.join(dir, 'connectors/hello.yaml'), 'utf8')).toMatch(/^ {2}maxTurns: 5$/m);
    // State goes to a branch of its own, so a feature branch checked out when the hub starts never collects state commits.
    expect(readFileSync(path.join(dir, 'hub.yaml'), 'utf8')).toMatch(/^state:\n(?: +#.*\n)+ {2}branch: agent-hub\/state$/m);
    // Outside the current directory: the absolute path, not ../../tmp/…
    expect(init.stdout).toContain(`next:\n  cd ${dir}\n  agent-hub run hello `);
    expect(init.stdout).toContain('\n  git add -A && git commit -m "agent-hub: initial connectors"\n  agent-hub start ');
    expect(init.stdout.match(/^ {2}\.gitignore$/gm)).toHaveLength(1);
    const apply = await cli(['apply', '--repo', dir]);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('+ created  hello');
    const status = JSON.parse((await cli(['status', '--repo', dir, '--json'])).stdout);
    expect(status.connectors).toEqual([expect.objectContaining({ id: 'hello', state: 'active', scheduleText: 'manual only', nextRun: null })]);
    // A second init changes nothing.
    expect((await cli(['init', dir])).stdout).toContain('nothing to create');
  });

  it('init run through npx says the next commands as npx ones: agent-hub itself is not on PATH then', () => {
    // Where `npx agent-hub-cli` installs the package: npm's cache, under _npx/<hash>/node_modules.
    const cache = path.join(testdir(), '_npx', '0123abcd', 'node_modules');
    const pkg = path.join(cache, 'agent-hub-cli');
    for (const part of ['bin', 'dist', 'schemas', 'package.json']) cpSync(path.join(REPO, part), path.join(pkg, part), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(pkg, 'node_modules'));
    const work = testdir();
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'agent-hub.js'), 'init', 'my-hub'], { cwd: work, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('next:\n  cd my-hub\n  npx agent-hub-cli run hello  ');
    expect(r.stdout).toContain('\n  npx agent-hub-cli start  ');
  });

  it('validate lists every error of every file at once and exits 1', async () => {
    const root = testdir({
      'connectors/ok.yaml': connector(),
      'connectors/a.yaml': 'prompt: hi\nschedule: "61 * * * *"\ntimezone: Nowhere/Land\n',
      'connectors/b.yaml': 'promt: hi\n',
    });
    const r = await cli(['validate', '--repo', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('connectors/a.yaml:2:11: error: schedule: "61 * * * *" is not a valid schedule: Invalid value for minute: 61\n    hint: minute must be 0-59');
    expect(r.stdout).toContain('connectors/a.yaml:3:11: error: timezone: unknown time zone "Nowhere/Land"');
    expect(r.stdout).toContain('connectors/b.yaml:1:1: error: promt: unknown field "promt"\n    hint: did you mean "prompt"?');
    expect(r.stdout).toContain('3 connector files: 1 valid, 2 invalid, 3 errors');
    const json = JSON.parse((await cli(['validate', '--repo', root, '--json'])).stdout);
    expect(json).toMatchObject({ ok: false, files: 3, valid: 1, invalid: 2 });
    expect(json.diagnostics).toHaveLength(3);
  });

  it('validate on an empty connectors/ directory says so and passes', async () => {
    const r = await cli(['validate', '--repo', testdir({ 'connectors/.gitkeep': '' })]);
    expect(r).toMatchObject({ code: 0, stdout: 'no connector files in connectors/ (add connectors/<id>.yaml)\n' });
  });

  it('a missing repository is a clear error', async () => {
    const r = await cli(['status', '--repo', '/nonexistent/hub']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('agent-hub: /nonexistent/hub: no such directory (pass --repo DIR, or run agent-hub init /nonexistent/hub)\n');
  });

  it('plan shows changes against the registry with the rendered prompt diff, and writes nothing', async () => {
    const root = testdir({ 'connectors/digest.yaml': connector({ schedule: '0 9 * * 1-5', prompt: 'Summarise today.\nBe brief.' }) });
    await cli(['apply', '--repo', root]);
    writeFiles(root, {
      'connectors/digest.yaml': connector({ schedule: '0 10 * * 1-5', prompt: 'Summarise this week.\nBe brief.' }),
      'connectors/new.yaml': connector({ prompt: 'Brand new.' }),
      'connectors/broken.yaml': 'prompt: "{{oops"\n',
    });
    const r = await cli(['plan', '--repo', root]);
    expect(r.code).toBe(1); // an invalid file
    expect(r.stdout).toContain('~ update   digest');
    expect(r.stdout).toContain('schedule: At 09:00, Monday through Friday (UTC), 0.71/day → At 10:00, Monday through Friday (UTC), 0.71/day');
    expect(r.stdout).toContain('-Summarise today.');
    expect(r.stdout).toContain('+Summarise this week.');
    expect(r.stdout).toContain('+ create   new');
    expect(r.stdout).toContain('! invalid  broken');
    expect(r.stdout).toContain('plan: 1 to create, 1 to change, 0 to remove, 0 unchanged, 1 invalid');
    const md = await cli(['plan', '--repo', root, '--format', 'markdown']);
    expect(md.stdout).toMatch(/^<!-- agent-hub-plan -->\n### agent-hub plan: 1 to create, 1 to change/);
    expect(md.stdout).toContain('<details><summary>✏️ update <code>digest</code> (connectors/digest.yaml) · 2 fields changed');
    expect(md.stdout).toContain('```diff\n--- a/digest\n+++ b/digest\n@@ -1,2 +1,2 @@\n-Summarise today.\n+Summarise this week.\n Be brief.\n```');
    // Nothing was applied by plan.
    const status = JSON.parse((await cli(['status', '--repo', root, '--json'])).stdout);
    expect(status.connectors.map((c: { id: string }) => c.id)).toEqual(['digest']);
    expect(status.connectors[0].schedule).toBe('0 9 * * 1-5');
  });

  it('plan --base compares with the connectors at a git ref, for pull requests', async () => {
    const root = gitdir({ 'connectors/a.yaml': connector({ prompt: 'old text' }), 'connectors/gone.yaml': connector() });
    git(root, 'checkout', '-qb', 'feature');
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'new text' }) });
    git(root, 'rm', '-q', 'connectors/gone.yaml');
    git(root, 'commit', '-qam', 'change');
    const r = await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('compared with `main`');
    expect(r.stdout).toContain('-old text\n+new text');
    expect(r.stdout).toContain('🗑️ remove <code>gone</code> (connectors/gone.yaml)');
    expect(existsSync(path.join(root, '.agent-hub'))).toBe(false);
    const missing = (await cli(['plan', '--repo', root, '--base', 'no-such-ref'])).stderr;
    expect(missing).toContain('--base no-such-ref: "no-such-ref" is not a commit');
    expect(missing).toMatch(/refs here: .*\bmain\b/);
  });

  it('status shows schedules in words, next run, state, version and the invalid file', async () => {
    const root = gitdir({ 'connectors/daily.yaml': connector({ schedule: '30 8 * * 1-5', timezone: 'Europe/Paris' }), 'connectors/off.yaml': connector({ schedule: '@hourly', enabled: false }) });
    await cli(['apply', '--repo', root]);
    writeFiles(root, { 'connectors/daily.yaml': 'prompt: hi\nschedule: "99 * * * *"\n' });
    await cli(['apply', '--repo', root]);
    const r = await cli(['status', '--repo', root]);
    expect(r.stdout).toMatch(/daily\s+invalid\s+invalid\s+At 08:30, Monday through Friday \(Europe\/Paris\)\s+20\d\d-\d\d-\d\d \d\d:\d\dZ/);
    expect(r.stdout).toMatch(/off\s+disabled\s+synced\s+Every hour \(UTC\)\s+-/);
    expect(r.stdout).toContain(`@${git(root, 'rev-parse', 'HEAD').slice(0, 7)}`);
    expect(r.stdout).toContain('daily: connectors/daily.yaml is invalid; version');
    expect(r.stdout).toContain('connectors/daily.yaml:2:11: error: schedule: "99 * * * *" is not a valid schedule');
    const json = JSON.parse((await cli(['status', '--repo', root, '--json'])).stdout);
    const daily = json.connectors.find((c: { id: string }) => c.id === 'daily');
    expect(new Date(daily.nextRun).getUTCMinutes()).toBe(30);
  });

  it('render reports bad inputs with exit 2 and an unknown id with exit 1', async () => {
    const root = testdir({ 'connectors/pr.yaml': 'inputs:\n  pr: { type: integer, required: true }\nprompt: "Review #{{inputs.pr}}"\n' });
    expect(await cli(['render', 'pr', '--repo', root, '--input', 'pr=7'])).toMatchObject({ code: 0, stdout: 'Review #7\n' });
    const missing = await cli(['render', 'pr', '--repo', root]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('input "pr" is required: pass --input pr=…');
    const unknown = await cli(['render', 'nope', '--repo', root]);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('no connector "nope" in connectors/ (there are: pr)');

    // After an apply, render reuses what the registry knows of unchanged files and reads edits.
    await cli(['apply', '--repo', root]);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, 'connectors/pr.yaml'), past, past);
    await cli(['apply', '--repo', root]);
    expect((await cli(['render', 'pr', '--repo', root, '--input', 'pr=8'])).stdout).toBe('Review #8\n');
    writeFiles(root, { 'connectors/pr.yaml': 'inputs:\n  pr: { type: integer, required: true }\nprompt: "Look at #{{inputs.pr}}"\n' });
    expect((await cli(['render', 'pr', '--repo', root, '--input', 'pr=9'])).stdout).toBe('Look at #9\n');
  });

  it('every shipped example and this repository\'s own connectors validate', async () => {
    const examples = await cli(['validate', '--repo', path.join(REPO, 'examples')]);
    expect(examples.stdout).toBe('6 connector files: 6 valid, 0 invalid\n');
    expect(examples.code).toBe(0);
    const own = testdir();
    cpSync(path.join(REPO, 'connectors'), path.join(own, 'connectors'), { recursive: true });
    cpSync(path.join(REPO, 'schemas'), path.join(own, 'schemas'), { recursive: true });
    expect((await cli(['validate', '--repo', own])).code).toBe(0);
    // Starting the hub on it applies and shows a manual-only connector: nothing will run.
    const start = await cli(['start', '--repo', own, '--init-only']);
    expect(start.code).toBe(0);
    expect((await cli(['status', '--repo', own])).stdout).toMatch(/repo-summary\s+active\s+synced\s+manual only/);
  });
});

describe('the docs', () => {
  it('shows a full connector example that validates', async () => {
    const readme = readFileSync(path.join(REPO, 'docs', 'connectors.md'), 'utf8');
    const example = /A full example[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const root = testdir({
      'connectors/daily-digest.yaml': example as string,
      'connectors/partials/house-rules.hbs': 'Be kind.',
      'mcp/servers.json': '{"mcpServers":{}}',
    });
    const r = await cli(['validate', '--repo', root]);
    expect(r.stdout).toBe('1 connector file: 1 valid, 0 invalid\n');
  });

  it('the README\'s short connector validates', async () => {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const example = /## A connector[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const root = testdir({ 'connectors/daily-digest.yaml': example as string });
    const r = await cli(['validate', '--repo', root]);
    expect(r.stdout).toBe('1 connector file: 1 valid, 0 invalid\n');
  });
});
