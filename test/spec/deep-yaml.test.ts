import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { openDb } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { getConnector } from '../../src/registry/connectors.js';
import { testdir } from '../helpers/repo.js';
import { cli } from '../helpers/cli.js';
import { resolveInputs } from '../../src/template/inputs.js';
import type { InputSpec } from '../../src/core/types.js';
import path from 'node:path';

const flow = (n: number) => `prompt: hi\ninputs:\n  x:\n    type: array\n    default: ${'['.repeat(n)}${']'.repeat(n)}\n`;
const block = (n: number) => `prompt: hi\noutput:\n  format: json\n  schema:\n${Array.from({ length: n }, (_, i) => `${'  '.repeat(i + 2)}a:`).join('\n')} 1\n`;

async function errorsOf(text: string, file = 'connectors/deep.yaml'): Promise<string[]> {
  const root = testdir({ [file]: text });
  const desired = await loadDesired(root);
  return desired.files.flatMap((f) => f.diagnostics).map(formatDiagnostic);
}

describe('deeply nested YAML', () => {
  it('is refused with the file, the line and the nesting limit, however deep (no stack overflow)', async () => {
    for (const n of [70, 1_000, 100_000]) {
      const errors = await errorsOf(flow(n));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^connectors\/deep\.yaml:5:\d+: error: the YAML nests mappings and lists deeper than 64 levels, the limit\n {4}hint: /);
    }
    const errors = await errorsOf(block(500));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/deep\.yaml:\d+:\d+: error: the YAML nests mappings and lists deeper than 64 levels/);
    expect(errors[0]).not.toContain('Maximum call stack');
  });

  it('64 levels are fine; 65 are not', async () => {
    // The top-level mapping is level 1, inputs 2, x 3, the default list 4: 61 more lists reach 64.
    expect(await errorsOf(flow(61))).toEqual([]);
    expect((await errorsOf(flow(62)))[0]).toContain('deeper than 64 levels');
  });

  it('aliases that nest what is shallow in the text are caught too', async () => {
    // Each list is 40 deep in the text; the second holds the first: 80 levels once expanded.
    const deep40 = (inner: string) => `${'['.repeat(40)}${inner}${']'.repeat(40)}`;
    const errors = await errorsOf(`prompt: hi\nx:\n  a: &a ${deep40('1')}\n  b: ${deep40('*a')}\n`);
    expect(errors.join('\n')).toContain('deeper than 64 levels');
  });

  it('in hub.yaml too: validate names the file and the limit', async () => {
    const root = testdir({ 'hub.yaml': `defaults: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'connectors/ok.yaml': 'prompt: hi\n' });
    const r = await cli(['validate', '--repo', root]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/hub\.yaml:1:\d+: error: the YAML nests mappings and lists deeper than 64 levels/);
  });

  it('run inputs nested too deep are refused, not a stack overflow later', () => {
    const declared: Record<string, InputSpec> = { x: { type: 'array', required: false } };
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown[];
    expect(resolveInputs(declared, { x: deep })).toEqual({ ok: false, errors: ['input "x" nests lists and objects deeper than 63 levels, the limit'] });
    expect(resolveInputs(declared, { x: [[[1]]] }).ok).toBe(true);
  });

  it('apply keeps the last good version and records the error', async () => {
    const root = testdir({ 'connectors/c.yaml': 'prompt: hi\n' });
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(root, 'connectors/c.yaml'), flow(50_000));
    await reconcile(root, db);
    const c = getConnector(db, 'c');
    expect(c?.version.spec.prompt).toBe('hi');
    expect(c?.lastError?.[0]?.message).toContain('deeper than 64 levels');
    db.close();
  });
});

describe('deeply nested templates', () => {
  it('are refused at once, with the nesting limit (not after seconds of parsing, nor as a stack overflow)', async () => {
    const n = 5000;
    const prompt = `${'{{#if inputs.a}}'.repeat(n)}x${'{{/if}}'.repeat(n)}`;
    const errors = await errorsOf(`prompt: ${JSON.stringify(prompt)}\ninputs:\n  a: { type: boolean, default: true }\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/deep\.yaml:1:\d+: error: prompt: template syntax error: blocks are nested deeper than 64 levels, the limit/);
    expect(errors[0]).not.toContain('Maximum call stack');
  });
});
