import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { agentTypes, DEFAULT_AGENT_TYPE } from '../../src/agents/index.js';
import { agentDescriptions } from '../../src/agents/descriptions.js';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { testdir } from '../helpers/repo.js';

type Json = Record<string, unknown>;
interface PropSchema { type?: string; enum?: unknown[]; $ref?: string }

const schema = JSON.parse(readFileSync(new URL('../../schemas/connector.schema.json', import.meta.url), 'utf8')) as { $defs: { agent: Json } };
const agentSchema = schema.$defs.agent as { properties: Record<string, PropSchema & { default?: unknown }>; if?: Json; then?: Json; allOf?: Json[] };
/** Fields every agent type reads. */
const COMMON = ['type', 'args', 'cwd', 'env', 'timeout'];

/** A value the schema accepts for a property, so only the rules can object to it. */
function valueFor(p: PropSchema): unknown {
  if (p.enum) return p.enum[0];
  if (p.type === 'array') return ['x'];
  if (p.type === 'integer' || p.type === 'number') return 1;
  if (p.type === 'boolean') return true;
  if (p.type === 'object') return {};
  return 'x';
}

/** Fields the schema requires for agents of this type (its `if type = … then required` blocks). */
function requiredFor(type: string): string[] {
  const blocks = [agentSchema, ...(agentSchema.allOf ?? [])] as Array<{ if?: { properties?: { type?: { const?: string } } }; then?: { required?: string[] } }>;
  return blocks.filter((b) => b.if?.properties?.type?.const === type).flatMap((b) => b.then?.required ?? []);
}

/** A connector of `type` with what its type requires, plus `extra` agent fields. */
function connectorOf(type: string, extra: Json = {}): string {
  const agent: Json = { type };
  for (const field of requiredFor(type)) agent[field] = valueFor(agentSchema.properties[field] as PropSchema);
  return JSON.stringify({ prompt: 'x', agent: { ...agent, ...extra } });
}

describe('agent types: a new one is its folder, a line in agentTypes and the schema', () => {
  it('describes to the checks every agent type the hub runs, with its own options and hints (descriptions.ts)', () => {
    expect(Object.keys(agentDescriptions)).toEqual(Object.keys(agentTypes));
    for (const [name, t] of Object.entries(agentTypes)) {
      expect(agentDescriptions[name]).toEqual({ name: t.name, options: t.options, ...(t.foreignOptionHint ? { foreignOptionHint: t.foreignOptionHint } : {}), ...(t.instructionFiles ? { instructionFiles: t.instructionFiles } : {}) });
    }
  });

  it('the schema lists exactly the registered types, with the same default', () => {
    const enumOf = agentSchema.properties.type as { enum: string[]; default: string };
    expect([...enumOf.enum].sort()).toEqual(Object.keys(agentTypes).sort());
    expect(enumOf.default).toBe(DEFAULT_AGENT_TYPE);
  });

  it('every agent field in the schema is common or owned by exactly one type', () => {
    for (const field of Object.keys(agentSchema.properties)) {
      const owners = Object.values(agentTypes).filter((t) => t.options.some((o) => o.field === field)).map((t) => t.name);
      expect({ field, owners: COMMON.includes(field) ? ['(common)'] : owners }).toEqual({ field, owners: [expect.any(String)] });
    }
    for (const t of Object.values(agentTypes)) for (const o of t.options) expect(Object.keys(agentSchema.properties)).toContain(o.field);
  });

  it("each type's declared options are an error, naming the type, on every other type, and fine on its own", async () => {
    const files: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const owner of Object.values(agentTypes)) {
      for (const { field, repoFile } of owner.options) {
        const value = repoFile !== undefined ? 'present.json' : valueFor(agentSchema.properties[field] as PropSchema);
        files[`connectors/own-${owner.name}-${field}.yaml`.toLowerCase()] = connectorOf(owner.name, { [field]: value });
        for (const other of Object.values(agentTypes)) {
          if (other === owner || other.options.some((o) => o.field === field)) continue;
          const file = `connectors/${other.name}-with-${field}.yaml`.toLowerCase();
          files[file] = connectorOf(other.name, { [field]: value });
          expected[file] = `${field} applies only to agents of type "${owner.name}"`;
        }
      }
    }
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    const root = testdir({ ...files, 'present.json': '{}' });
    const desired = await loadDesired(root);
    for (const f of desired.files) {
      const errors = f.diagnostics.map(formatDiagnostic);
      const want = expected[f.path];
      if (want === undefined) expect({ file: f.path, errors }).toEqual({ file: f.path, errors: [] });
      else {
        expect(errors, f.path).toHaveLength(1);
        expect(errors[0]).toMatch(new RegExp(`^${f.path}:\\d+:\\d+: error: agent\\.\\w+: `));
        expect(errors[0]).toContain(want);
      }
    }
  });

  it('an unknown agent type is a validate error at its line, listing the known ones', async () => {
    const root = testdir({ 'connectors/c.yaml': 'prompt: x\nagent:\n  model: o3\n  type: codex\n' });
    const errors = (await loadDesired(root)).files.flatMap((f) => f.diagnostics.map(formatDiagnostic));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/c\.yaml:4:\d+: error: agent\.type: /);
    for (const name of Object.keys(agentTypes)) expect(errors[0]).toContain(name);
  });
});
