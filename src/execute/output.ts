import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OutputSpec } from '../core/types.js';
import { userSchemaAjv } from '../spec/user-schema.js';
import { insideRepo } from '../spec/paths.js';

export type OutputCheck =
  | { ok: true; text: string; json?: unknown }
  | { ok: false; error: string; validationErrors: unknown[] };

/** A JSON answer wrapped in a markdown fence, as models like to write it. */
const FENCED = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/;

/** Checks a result against `output`: JSON that parses and meets the schema, for `format: json`. */
export function checkOutput(output: OutputSpec, result: string | null): OutputCheck {
  const text = result ?? '';
  if (output.format !== 'json') return { ok: true, text };
  let json: unknown;
  try {
    json = JSON.parse(FENCED.exec(text)?.[1] ?? text);
  } catch (err) {
    return { ok: false, error: `the result is not JSON: ${(err as Error).message}`, validationErrors: [] };
  }
  if (output.schema) {
    const validate = userSchemaAjv().compile(output.schema);
    if (!validate(json)) {
      const errors = validate.errors ?? [];
      const summary = errors.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
      return { ok: false, error: `the result does not match output.schema: ${summary}`, validationErrors: errors };
    }
  }
  return { ok: true, text: `${JSON.stringify(json, null, 2)}\n`, json };
}

/** Writes a result to a repository-relative path, refusing anything outside the repository. */
export function saveOutput(root: string, relPath: string, content: string): string {
  const rel = insideRepo(root, '.', relPath);
  if (rel === undefined || /^(\.git|\.agent-hub)(\/|$)/.test(rel)) throw new Error(`saveTo "${relPath}" is outside the repository or in a reserved directory`);
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return rel;
}
