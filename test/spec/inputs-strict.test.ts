import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { resolveInputs } from '../../src/template/inputs.js';
import type { InputSpec } from '../../src/core/types.js';
import { testdir } from '../helpers/repo.js';
import { cli } from '../helpers/cli.js';

async function errorsOf(yaml: string): Promise<string[]> {
  const root = testdir({ 'connectors/c.yaml': yaml });
  const desired = await loadDesired(root);
  return desired.files.flatMap((f) => f.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
}

describe('input names that every JavaScript object already has are refused', () => {
  it('constructor, __proto__, toString, hasOwnProperty, prototype: refused with file, line and a hint', async () => {
    const errors = await errorsOf([
      'prompt: "{{inputs.fine}}"',
      'inputs:',
      '  fine: { type: string, default: ok }',
      '  constructor: { type: string, default: a }',
      '  __proto__: { type: string, default: b }',
      '  toString: { type: string, default: c }',
      '  hasOwnProperty: { type: string }',
      '  prototype: { type: string }',
      '',
    ].join('\n'));
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^connectors\/c\.yaml:4:3: error: inputs\.constructor: input name "constructor" is reserved/);
    expect(errors[1]).toMatch(/^connectors\/c\.yaml:5:3: error: inputs\.__proto__: input name "__proto__" is reserved/);
    expect(errors[2]).toMatch(/^connectors\/c\.yaml:6:3: .*"toString" is reserved/);
    expect(errors[3]).toMatch(/^connectors\/c\.yaml:7:3: .*"hasOwnProperty" is reserved/);
    expect(errors[4]).toMatch(/^connectors\/c\.yaml:8:3: .*"prototype" is reserved/);
    expect(errors[0]).toContain('hint: rename the input');
  });

  it('a provided input named like an Object property is unknown, never read from the prototype', () => {
    const declared: Record<string, InputSpec> = { n: { type: 'integer', required: false } };
    expect(resolveInputs(declared, { toString: 'x', constructor: 'y' }, true)).toEqual({
      ok: false, errors: ['unknown input "toString"; declared inputs: n', 'unknown input "constructor"; declared inputs: n'],
    });
    const viaJson = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(resolveInputs(declared, viaJson)).toEqual({ ok: false, errors: ['unknown input "__proto__"; declared inputs: n'] });
  });
});

describe('type: integer takes exact decimal integers only', () => {
  const declared: Record<string, InputSpec> = { n: { type: 'integer', required: false }, x: { type: 'number', required: false } };

  it('refuses 0x10, 0o17, 0b11 and numbers beyond 2^53 − 1 from the command line and the API', () => {
    const hex = resolveInputs(declared, { n: '0x10' }, true);
    expect(hex).toEqual({ ok: false, errors: ['input "n" must be integer, got "0x10": write it in decimal'] });
    expect(resolveInputs(declared, { n: '0o17' }, true).ok).toBe(false);
    expect(resolveInputs(declared, { x: '0b11' }, true).ok).toBe(false);
    expect(resolveInputs(declared, { x: 'Infinity' }, true).ok).toBe(false);
    const big = resolveInputs(declared, { n: '9007199254740993' }, true);
    expect(!big.ok && big.errors[0]).toMatch(/^input "n" must be integer, got "9007199254740993": beyond 9007199254740991 \(2\^53 − 1\)/);
    expect(resolveInputs(declared, { n: 2 ** 53 }).ok).toBe(false);
    expect(resolveInputs(declared, { n: '-9007199254740991', x: '1.5e3' }, true)).toEqual({ ok: true, values: { n: -9007199254740991, x: 1500 } });
  });

  it('refuses a YAML default written 0x10 or beyond 2^53 − 1, at its line', async () => {
    const errors = await errorsOf('prompt: "{{inputs.a}} {{inputs.b}}"\ninputs:\n  a: { type: integer, default: 0x10 }\n  b:\n    type: integer\n    default: 9007199254740993\n');
    expect(errors).toEqual([
      'connectors/c.yaml:3:32: error: inputs.a.default: default 0x10 is not a decimal integer\n    hint: write it in decimal: 16',
      expect.stringMatching(/^connectors\/c\.yaml:6:14: error: inputs\.b\.default: default 9007199254740992 is not of type integer \(beyond 9007199254740991/),
    ]);
  });

  it('agent-hub render --input n=0x10 exits 2 (bad usage) with the reason', async () => {
    const root = testdir({ 'connectors/c.yaml': 'prompt: "n={{inputs.n}}"\ninputs:\n  n: { type: integer, default: 1 }\n' });
    const r = await cli(['render', 'c', '--repo', root, '--input', 'n=0x10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('input "n" must be integer, got "0x10": write it in decimal');
  });
});
