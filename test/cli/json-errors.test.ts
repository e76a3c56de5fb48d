import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { cli, type CliResult } from '../helpers/cli.js';
import { reportFailure } from '../../src/cli/main.js';
import { testdir } from '../helpers/repo.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** The one JSON document an erring `--json` command prints on stdout, with nothing on stderr. */
function jsonError(r: CliResult, exit: number, code: string): string {
  expect(r.code).toBe(exit);
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as { error: { message: string; code: string; exit: number } };
  expect(out.error).toMatchObject({ code, exit });
  return out.error.message;
}

describe('with --json, errors are JSON too', () => {
  it('every command that takes --json answers a missing repository with one JSON error on stdout', async () => {
    const missing = path.join(testdir(), 'nowhere');
    const commands = [['validate'], ['plan'], ['apply'], ['render', 'a'], ['run', 'a'], ['history'], ['show', 'r1'], ['status'], ['snapshot'], ['restore']];
    for (const args of commands) {
      const message = jsonError(await cli([...args, '--repo', missing, '--json']), 1, 'failed');
      expect(message, args[0]).toContain(`${missing}: no such directory`);
    }
  });

  it('an invalid hub.yaml comes with its errors as data, as validate gives them', async () => {
    const root = testdir({ 'hub.yaml': 'concurrency: many\nbogus: 1\n', 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    for (const args of [['run', 'a'], ['snapshot'], ['restore']]) {
      const r = await cli([...args, '--repo', root, '--json']);
      jsonError(r, 78, 'config');
      const out = JSON.parse(r.stdout) as { error: { diagnostics?: Array<{ file: string; line: number; path: string }> } };
      expect({ args, d: out.error.diagnostics?.map((d) => `${d.file}:${d.line}:${d.path}`) }).toEqual({ args, d: ['hub.yaml:1:concurrency', 'hub.yaml:2:bogus'] });
    }
  });

  it('errors of the command itself, and bad usage, exit as they do without --json', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x', inputs: { n: { type: 'integer' } } }) });
    expect(jsonError(await cli(['show', 'nope', '--repo', root, '--json']), 1, 'failed')).toBe('no run "nope" (see agent-hub history)');
    expect(jsonError(await cli(['history', '--repo', root, '--json', '--limit', '0']), 2, 'usage')).toBe('--limit must be a positive integer');
    expect(jsonError(await cli(['render', 'a', '--repo', root, '--json', '--input', 'n']), 2, 'usage')).toBe('--input expects key=value, got "n"');
    expect(jsonError(await cli(['validate', '--repo', root, '--json', '--bogus']), 2, 'usage')).toBe("unknown option '--bogus'");
  });

  it('plan --json with --format is refused as bad usage, not ignored', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    expect(jsonError(await cli(['plan', '--repo', root, '--json', '--format', 'markdown']), 2, 'usage')).toMatch(/^--json and --format cannot be used together/);
    const text = await cli(['plan', '--repo', root, '--format', 'markdown']);
    expect(text.code).toBe(0);
    expect((await cli(['plan', '--repo', root, '--json'])).code).toBe(0);
  });

  it('a bug is JSON too: code internal, exit 70, the stack as detail', async () => {
    let printed = '';
    expect(await reportFailure(new TypeError('x is null'), (t) => (printed += t), 'json')).toBe(70);
    const { error } = JSON.parse(printed) as { error: { message: string; code: string; exit: number; detail: string } };
    expect(error).toMatchObject({ code: 'internal', exit: 70 });
    expect(error.message).toMatch(/^internal error: x is null\. This is a bug in agent-hub; please report it/);
    expect(error.detail).toMatch(/^TypeError: x is null\n\s+at /);
  });

  it('without --json, errors stay one line on stderr', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const r = await cli(['show', 'nope', '--repo', root]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'agent-hub: no run "nope" (see agent-hub history)\n' });
    const usage = await cli(['validate', '--repo', root, '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("error: unknown option '--bogus'");
  });
});
