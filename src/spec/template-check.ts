import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { ConnectorSpec, Diagnostic } from '../core/types.js';
import { analyzeTemplate, type TemplateRef } from '../template/analyze.js';
import { HELPER_NAMES } from '../template/helpers.js';
import { insideRepo, linkTargets } from './paths.js';
import { closest } from './suggest.js';
import { decodeText } from './text.js';
import type { RuleEnv } from './rule-env.js';
import { eventRefProblem } from './event-fields.js';

export interface PartialFile {
  file: string;
  source: string;
}
export type Partials = ReadonlyMap<string, PartialFile>;

const CONTEXT_FIELDS: Record<string, readonly string[]> = {
  connector: ['id', 'name', 'description', 'schedule', 'timezone'],
  run: ['id', 'trigger', 'scheduledFor', 'attempt'],
};

/** Where a template's own positions map to in the files a user edits. */
interface Origin {
  file: string;
  /** Set for a template inline in the connector: errors point at that field. */
  field?: Array<string | number>;
}

/**
 * Where line/column of a template held in a YAML string value is in the file. Exact for
 * literal blocks (`|`) and one-line scalars, which is how prompts are written; undefined
 * for folded or multi-line quoted strings, whose lines do not map one to one.
 */
export function positionInValue(text: string, template: string, value: { line: number; column: number }, line: number, column: number): { line: number; column: number } | undefined {
  const lines = text.split('\n');
  const header = (lines[value.line - 1] ?? '').slice(value.column - 1).replace(/\r$/, '');
  if (/^\|[-+0-9]*\s*(#.*)?$/.test(header)) {
    const body = lines.slice(value.line).find((l) => l.trim() !== '') ?? '';
    const indent = body.length - body.trimStart().length;
    return { line: value.line + line, column: indent + column };
  }
  // A one-line scalar written exactly as the template (no escapes): columns shift by the quote.
  const written = header.replace(/\s+#.*$/, '').trimEnd();
  if (written === template) return { line: value.line, column: value.column + column - 1 };
  if (written === `"${template}"` || written === `'${template}'`) return { line: value.line, column: value.column + column };
  return undefined;
}

function diag(env: RuleEnv, origin: Origin, source: string, line: number, column: number, message: string, hint: string | undefined, rule: string): Diagnostic {
  if (origin.field) {
    const value = env.locate(origin.field);
    const exact = positionInValue(env.text, source, value, line, column);
    const where = exact ?? value;
    const text = exact ? message : `${message} (template line ${line}, column ${column})`;
    return { file: env.file, ...where, path: origin.field.join('.'), message: text, severity: 'error', rule, ...(hint ? { hint } : {}) };
  }
  return { file: origin.file, line, column, path: '', message, severity: 'error', rule, ...(hint ? { hint } : {}) };
}

function checkRef(ref: TemplateRef, spec: ConnectorSpec, env: RuleEnv): { message: string; hint?: string } | undefined {
  if (ref.kind === 'helper') {
    if (HELPER_NAMES.has(ref.name)) return undefined;
    const guess = closest(ref.name, [...HELPER_NAMES]);
    return { message: `unknown helper "${ref.name}"`, hint: guess ? `did you mean "${guess}"?` : `available helpers: ${[...HELPER_NAMES].filter((h) => !h.endsWith('Missing')).join(', ')}` };
  }
  if (ref.kind !== 'variable') return undefined;
  const [head, field] = ref.name.split('.');
  const inputs = Object.keys(spec.inputs);
  if (head === 'inputs') {
    // An input whose declaration the schema refused is reported there, not at each use.
    if (field === undefined || inputs.includes(field) || env.rejected(['inputs', field])) return undefined;
    const guess = closest(field, inputs);
    return { message: `{{${ref.name}}} uses input "${field}", which is not declared`, hint: guess ? `did you mean inputs.${guess}?` : `declare it under inputs: (e.g. inputs: { ${field}: { type: string } })` };
  }
  if (head === 'event') return eventRefProblem(ref.name, spec);
  const known = CONTEXT_FIELDS[head as string];
  if (known) {
    if (field === undefined || known.includes(field)) return undefined;
    return { message: `{{${ref.name}}} is not a field of ${head}`, hint: `${head} has: ${known.join(', ')}` };
  }
  if (inputs.includes(head as string)) return { message: `unknown variable "${ref.name}"`, hint: `inputs are under inputs.: write {{inputs.${ref.name}}}` };
  return { message: `unknown variable "${ref.name}"`, hint: 'templates see inputs.<name>, connector.<field> and run.<field>; declare new values under inputs:' };
}

/** Checks one template source; follows partials, reporting problems in the partial's own file. */
function checkSource(source: string, origin: Origin, spec: ConnectorSpec, env: RuleEnv, partials: Partials | undefined, used: Map<string, string>, out: Diagnostic[], within: readonly string[] = []): void {
  const analysis = analyzeTemplate(source);
  if (!analysis.ok) {
    out.push(diag(env, origin, source, analysis.line, analysis.column, `template syntax error: ${analysis.message}`, 'check that every {{ has a matching }} and every {{#block}} is closed', 'template-syntax'));
    return;
  }
  for (const ref of analysis.refs) {
    if (ref.kind === 'dynamic-partial' || (ref.kind === 'partial' && !partials)) {
      out.push(diag(env, origin, source, ref.line, ref.column, 'partials are not allowed here', ref.kind === 'dynamic-partial' ? 'name the partial directly, like {{> footer}}: a partial chosen at run time cannot be checked' : 'write the text itself here; partials are for prompts', 'template-partial'));
      continue;
    }
    if (ref.kind === 'partial' && partials) {
      const partial = partials.get(ref.name);
      if (!partial) {
        const guess = closest(ref.name, [...partials.keys()]);
        out.push(diag(env, origin, source, ref.line, ref.column, `partial "${ref.name}" does not exist`, guess ? `did you mean "${guess}"?` : `create connectors/partials/${ref.name}.hbs`, 'template-partial'));
      } else if (within.includes(ref.name)) {
        // Rendering would recurse until the stack overflows.
        const loop = [...within.slice(within.indexOf(ref.name)), ref.name].join(' → ');
        out.push(diag(env, origin, source, ref.line, ref.column, `partial "${ref.name}" includes itself (${loop})`, 'a partial cannot include itself, directly or through other partials', 'template-partial'));
      } else if (!used.has(ref.name)) {
        used.set(ref.name, partial.source);
        checkSource(partial.source, { file: partial.file }, spec, env, partials, used, out, [...within, ref.name]);
      }
      continue;
    }
    const problem = checkRef(ref, spec, env);
    if (problem) out.push(diag(env, origin, source, ref.line, ref.column, problem.message, problem.hint, 'template-variable'));
  }
}

/** Checks a small template held in a connector field (like output.saveTo); no partials. */
export function checkTemplateRefs(source: string, spec: ConnectorSpec, env: RuleEnv, field: Array<string | number>): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkSource(source, { file: env.file, field }, spec, env, undefined, new Map(), out);
  return out;
}

export interface PromptCheck {
  diagnostics: Diagnostic[];
  template?: string;
  partials: Record<string, string>;
  /** Repository-relative files besides the connector whose content the version depends on. */
  deps: string[];
}

/** Finds the prompt (inline or promptFile), and checks it compiles and uses only what is declared. */
export function checkPrompt(spec: ConnectorSpec, env: RuleEnv, partials: Partials): PromptCheck {
  const result: PromptCheck = { diagnostics: [], partials: {}, deps: [] };
  const fail = (field: string, message: string, hint: string, rule: string) => {
    result.diagnostics.push({ file: env.file, ...env.locate(field ? [field] : []), path: field, message, hint, severity: 'error', rule });
    return result;
  };
  if (spec.prompt !== undefined && spec.promptFile !== undefined) return fail('promptFile', 'both prompt and promptFile are set', 'keep one of them', 'prompt');
  if (spec.prompt === undefined && spec.promptFile === undefined) {
    if (env.rejected(['prompt']) || env.rejected(['promptFile'])) return result;
    return fail('', 'the connector has no prompt', 'add `prompt: |` with the prompt text, or `promptFile: <name>.prompt.hbs`', 'prompt');
  }

  let template: string;
  let origin: Origin;
  if (spec.promptFile !== undefined) {
    const rel = insideRepo(env.root, path.dirname(env.file), spec.promptFile);
    if (rel === undefined) return fail('promptFile', `promptFile "${spec.promptFile}" is outside the repository`, 'prompt files live in the repository, next to the connector', 'path-escape');
    // A promptFile that is a symlink reads the file it links to: that file is a dependency too.
    result.deps.push(rel, ...linkTargets(env.root, rel));
    const abs = path.join(env.root, rel);
    let bytes: Buffer;
    try {
      // A symlink may point out of the repository even when the path does not; the file is
      // then read by its real path, which leaves little room for a link swapped in meanwhile.
      const real = realpathSync(abs);
      if (insideRepo(env.root, '.', path.relative(env.root, real)) === undefined) {
        return fail('promptFile', `promptFile "${spec.promptFile}" links outside the repository`, 'copy the file into the repository instead of linking it', 'path-escape');
      }
      bytes = readFileSync(real);
    } catch {
      return fail('promptFile', `promptFile "${rel}" does not exist`, `create it, or fix the path (it is relative to ${path.dirname(env.file)}/)`, 'missing-file');
    }
    const decoded = decodeText(bytes);
    if ('error' in decoded) return fail('promptFile', `promptFile "${rel}": ${decoded.error}`, decoded.hint, 'prompt-file');
    template = decoded.text;
    origin = { file: rel };
  } else {
    template = spec.prompt as string;
    origin = { file: env.file, field: ['prompt'] };
  }
  const used = new Map<string, string>();
  checkSource(template, origin, spec, env, partials, used, result.diagnostics);
  result.template = template;
  result.partials = Object.fromEntries([...used.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  return result;
}
