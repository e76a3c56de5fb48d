import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { cli } from '../helpers/cli.js';
import { testdir, type Files } from '../helpers/repo.js';

/** The file a new user wrote in issue 11: seven mistakes that took four fix-and-retry rounds. */
const SEVEN_MISTAKES = `schedule: "0 0 30 2 *"
timezone: Europe/Pariss
enabled: yes
inputs:
  count:
    type: integer
    default: "three"
agent:
  timeout: 5 minutes
prompt: |
  Hello {{shout inputs.count}}
  {{> footer}}
`;

async function errorsOf(files: Files): Promise<string[]> {
  const desired = await loadDesired(testdir(files));
  return desired.files.flatMap((f) => f.diagnostics.map(formatDiagnostic));
}

describe('validate reports every error of a file at once', () => {
  it('lists all seven mistakes of one file in one run, each at its line with what to do', async () => {
    const root = testdir({ 'connectors/bad.yaml': SEVEN_MISTAKES });
    const { code, stdout } = await cli(['validate'], { cwd: root });
    expect(code).toBe(1);
    const errors = stdout.split('\n').filter((l) => l.includes(': error: '));
    expect(errors).toEqual([
      'connectors/bad.yaml:1:11: error: schedule: "0 0 30 2 *" never fires',
      'connectors/bad.yaml:2:11: error: timezone: unknown time zone "Europe/Pariss"',
      'connectors/bad.yaml:3:10: error: enabled: must be true or false, not string "yes"',
      'connectors/bad.yaml:7:14: error: inputs.count.default: default "three" is not of type integer',
      'connectors/bad.yaml:9:12: error: agent.timeout: "5 minutes" has the wrong form',
      'connectors/bad.yaml:11:11: error: prompt: unknown helper "shout"',
      'connectors/bad.yaml:12:3: error: prompt: partial "footer" does not exist',
    ]);
    // Every error says what to do.
    expect(stdout.split('\n').filter((l) => l.startsWith('    hint: '))).toHaveLength(7);
    expect(stdout).toContain('hint: write true or false (YAML 1.2 reads yes, no, on and off as text)');
    expect(stdout).toContain('1 connector file: 0 valid, 1 invalid, 7 errors');
  });

  it('plan, apply and status list a file\'s errors in line order too, as validate does', async () => {
    const root = testdir({ 'connectors/bad.yaml': SEVEN_MISTAKES });
    for (const args of [['plan'], ['apply'], ['status']]) {
      const { stdout } = await cli(args, { cwd: root });
      const lines = stdout.split('\n').filter((l) => l.includes(': error: ')).map((l) => Number(/bad\.yaml:(\d+):/.exec(l)?.[1]));
      expect({ args, lines }).toEqual({ args, lines: [1, 2, 3, 7, 9, 11, 12] });
    }
  });

  it('hub.yaml\'s errors come in line order from every command', async () => {
    const root = testdir({ 'hub.yaml': 'concurrency: many\nstate:\n  branch: 5\nbogus: 1\n', 'connectors/a.yaml': 'prompt: x\n' });
    for (const args of [['validate'], ['status'], ['run', 'a']]) {
      const { stdout, stderr } = await cli(args, { cwd: root });
      const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.includes(': error: ')).map((l) => Number(/hub\.yaml:(\d+):/.exec(l)?.[1]));
      expect({ args, lines }).toEqual({ args, lines: [1, 3, 4] });
    }
  });

  it('a partial no connector uses yet is checked too: its syntax error is a warning before someone includes it', async () => {
    const root = testdir({ 'connectors/a.yaml': 'prompt: "Hi {{> used}}"\n', 'connectors/partials/used.hbs': 'fine', 'connectors/partials/later.hbs': 'Sign: {{#if x}}\n' });
    const { code, stdout } = await cli(['validate'], { cwd: root });
    expect(code).toBe(0);
    expect(stdout).toContain('connectors/partials/later.hbs:2:1: warning: template syntax error: ');
    expect(stdout).toContain('hint: no connector uses this partial yet; fix it before one does');
    // Used by a connector, the error is that connector's, said once.
    writeFileSync(path.join(root, 'connectors/b.yaml'), 'prompt: "{{> later}}"\n');
    const used = await cli(['validate'], { cwd: root });
    expect(used.code).toBe(1);
    expect(used.stdout.match(/later\.hbs:2:1/g)).toHaveLength(1);
  });

  it('the same list comes as JSON', async () => {
    const root = testdir({ 'connectors/bad.yaml': SEVEN_MISTAKES });
    const { code, stdout } = await cli(['validate', '--json'], { cwd: root });
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as { ok: boolean; diagnostics: Array<{ line: number; hint?: string }> };
    expect(out.ok).toBe(false);
    expect(out.diagnostics.map((d) => d.line)).toEqual([1, 2, 3, 7, 9, 11, 12]);
    expect(out.diagnostics.every((d) => d.hint)).toBe(true);
  });

  it('says nothing more about a field the schema rejected: no guess from its default', async () => {
    const errors = await errorsOf({
      'connectors/a.yaml': [
        'schedule: 5', // rejected: no "catchUp without a schedule" warning
        'catchUp: 1h',
        'inputs:',
        '  n: { type: int, default: 3 }', // rejected type: the default is not judged against a guessed one
        'agent:',
        '  type: claud', // rejected type: no "command applies only to agents of type command"
        '  command: [echo]',
        'output:',
        '  format: jsn', // rejected format: no "a schema needs format: json"
        '  schema: { type: object }',
        'retry:',
        '  backoff: { initial: 1 hour, max: 1m }', // rejected: no comparison with the default
        'prompt: "Count {{inputs.n}} and {{inputs.missing}}"',
      ].join('\n'),
    });
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      'connectors/a.yaml:1:11: error: schedule: must be a string, not number 5',
      'connectors/a.yaml:4:14: error: inputs.n.type: "int" is not allowed',
      'connectors/a.yaml:6:9: error: agent.type: "claud" is not allowed',
      'connectors/a.yaml:9:11: error: output.format: "jsn" is not allowed',
      'connectors/a.yaml:12:23: error: retry.backoff.initial: "1 hour" has the wrong form',
      'connectors/a.yaml:13:35: error: prompt: {{inputs.missing}} uses input "missing", which is not declared',
    ]);
  });

  it('a rejected prompt is not also "no prompt"; a rejected input is not also "not declared"', async () => {
    const errors = await errorsOf({ 'connectors/b.yaml': 'inputs:\n  9bad: { type: string }\nprompt: ""\nschedule: "61 * * * *"\n' });
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      'connectors/b.yaml:2:3: error: inputs.9bad: the name "9bad" is not allowed',
      'connectors/b.yaml:3:9: error: prompt: must not be empty',
      expect.stringMatching(/^connectors\/b\.yaml:4:11: error: schedule: "61 \* \* \* \*" is not a valid schedule/),
    ]);
  });
});
