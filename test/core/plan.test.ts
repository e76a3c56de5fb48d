import { describe, expect, it } from 'vitest';
import { isNoop, plan, type DesiredFile, type Observed } from '../../src/core/plan.js';
import type { ConnectorVersion, Diagnostic } from '../../src/core/types.js';

const version = (id: string): ConnectorVersion => ({ spec: { id } as ConnectorVersion['spec'], sourcePath: `connectors/${id}.yaml`, template: 'x', partials: {} });
const valid = (id: string, hash: string, path = `connectors/${id}.yaml`): DesiredFile => ({ path, sourceHash: `s-${hash}`, id, specHash: hash, version: version(id), diagnostics: [] });
const error: Diagnostic = { file: 'f', path: '', message: 'broken', severity: 'error', rule: 'yaml' };
const invalid = (path: string, id?: string): DesiredFile => ({ path, sourceHash: 'bad', ...(id ? { id } : {}), diagnostics: [error] });
const observed = (...cs: Array<[string, string, boolean?]>): Observed => ({
  connectors: cs.map(([id, specHash, active = true]) => ({ id, specHash, sourcePath: `connectors/${id}.yaml`, active, hasError: false })),
  sources: cs.map(([id, specHash]) => ({ path: `connectors/${id}.yaml`, sourceHash: `s-${specHash}`, connectorId: id })),
});

describe('plan', () => {
  it('creates new connectors and leaves equal ones unchanged', () => {
    const p = plan([valid('a', 'h1'), valid('b', 'h2')], observed(['a', 'h1']));
    expect(p.actions.map((a) => [a.kind, 'id' in a ? a.id : undefined])).toEqual([['unchanged', 'a'], ['create', 'b']]);
    expect(p.counts).toMatchObject({ create: 1, unchanged: 1 });
  });

  it('updates by content hash', () => {
    const p = plan([valid('a', 'h2')], observed(['a', 'h1']));
    expect(p.actions[0]).toMatchObject({ kind: 'update', id: 'a', previousHash: 'h1', moved: false });
  });

  it('a renamed file with the same id is an update that moved', () => {
    const p = plan([valid('a', 'h1', 'connectors/renamed.yaml')], observed(['a', 'h1']));
    expect(p.actions[0]).toMatchObject({ kind: 'update', id: 'a', moved: true });
    expect(p.forgottenSources).toEqual(['connectors/a.yaml']);
  });

  it('removes connectors whose file is gone, and only active ones', () => {
    const p = plan([], observed(['a', 'h1'], ['old', 'h0', false]));
    expect(p.actions).toEqual([{ kind: 'remove', id: 'a', sourcePath: 'connectors/a.yaml' }]);
  });

  it('an invalid file keeps its connector (last good version), found by its previous owner', () => {
    const p = plan([invalid('connectors/a.yaml')], observed(['a', 'h1']));
    expect(p.actions).toEqual([expect.objectContaining({ kind: 'invalid', id: 'a', keepsLastGood: true })]);
    expect(p.counts.remove).toBe(0);
  });

  it('a new invalid file creates nothing', () => {
    const p = plan([invalid('connectors/new.yaml', 'new')], observed());
    expect(p.actions).toEqual([expect.objectContaining({ kind: 'invalid', id: 'new', keepsLastGood: false })]);
  });

  it('reactivates a removed connector as a create', () => {
    const p = plan([valid('a', 'h1')], observed(['a', 'h1', false]));
    expect(p.actions[0]).toMatchObject({ kind: 'create', reactivated: true });
  });

  it('is a no-op exactly when nothing differs', () => {
    const obs = observed(['a', 'h1'], ['b', 'h2']);
    expect(isNoop(plan([valid('a', 'h1'), valid('b', 'h2')], obs))).toBe(true);
    expect(isNoop(plan([valid('a', 'h1')], obs))).toBe(false);
    expect(isNoop(plan([valid('a', 'h1'), valid('b', 'h3')], obs))).toBe(false);
  });

  it('is deterministic whatever the order of the files', () => {
    const files = [valid('c', '3'), valid('a', '1'), invalid('connectors/b.yaml')];
    expect(plan(files, observed()).actions).toEqual(plan([...files].reverse(), observed()).actions);
  });
});
