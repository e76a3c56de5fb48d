import { lstatSync } from 'node:fs';
import path from 'node:path';
import { jsonErrorPosition } from '../core/json-error.js';
import type { OutputSpec } from '../core/types.js';
import { userSchemaAjv } from '../spec/user-schema.js';
import { describeLink, symlinkOnPath } from '../spec/paths.js';
import { outputPathRefusal } from '../spec/write-paths.js';
import { OutputWriteError, writeWithoutLinks } from './safe-write.js';

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
  } catch {
    // The parser's own message quotes the text it choked on (a secret's first characters, say): only the position is kept.
    const body = FENCED.exec(text)?.[1] ?? text;
    const at = jsonErrorPosition(body);
    return { ok: false, error: `the result is not JSON${at ? ` (line ${at.line}, column ${at.column})` : ''}: format: json asks the agent for one JSON value`, validationErrors: [] };
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

/**
 * Where a run may save its result: the rendered saveTo, allowed by outputPathRefusal (not
 * configuration, state, a dotfile or a file connectors read) and with no symlink on the
 * part of it that exists. Returns the repository-relative path, or why not.
 */
export function outputTarget(root: string, rendered: string, readByConnectors: ReadonlyMap<string, string>): { rel: string } | { refused: string } {
  const checked = outputPathRefusal(root, rendered, readByConnectors);
  if ('rule' in checked) return { refused: checked.message };
  // What the write would fail on anyway is refused before the agent runs (and spends).
  const long = checked.rel.split('/').find((part) => Buffer.byteLength(part) > 255);
  if (long) return { refused: `"${long.slice(0, 40)}…" is longer than a file name may be (255 bytes)` };
  const link = symlinkOnPath(root, checked.rel);
  if (link) return { refused: `${describeLink(root, link)}; the hub never writes through a symlink` };
  let dir = root;
  for (const part of checked.rel.split('/')) {
    dir = path.join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st) break;
    if (dir === path.join(root, checked.rel) ? st.isDirectory() : !st.isDirectory()) {
      return { refused: `"${path.relative(root, dir)}" is ${st.isDirectory() ? 'a directory' : 'a file, not a directory'}` };
    }
  }
  return checked;
}

/**
 * Writes a result where outputTarget allowed, checking the path again (a connector applied
 * or a symlink planted while the agent ran) and writing all or nothing, through no symlink.
 */
export function saveOutput(root: string, rendered: string, content: string, readByConnectors: ReadonlyMap<string, string>): string {
  const target = outputTarget(root, rendered, readByConnectors);
  if ('refused' in target) throw new OutputWriteError(target.refused);
  writeWithoutLinks(root, target.rel, content);
  return target.rel;
}
