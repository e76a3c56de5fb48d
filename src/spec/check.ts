import path from 'node:path';
import type { ConnectorVersion, Diagnostic } from '../core/types.js';
import { compareDiagnostics } from '../core/diagnostic.js';
import type { DesiredFile } from '../core/plan.js';
import { CONNECTOR_SCHEMA, locateSchemaErrors, schemaErrors } from './schema.js';
import { acceptedPart, touches } from './salvage.js';
import { decodeText } from './text.js';
import { parseYaml } from './yaml.js';
import { normalize, type SpecDefaults } from './normalize.js';
import { RULES } from './rules.js';
import type { RuleEnv } from './rule-env.js';
import { checkPrompt, type Partials } from './template-check.js';
import { specHash } from './hash.js';
import { linkTargets } from './paths.js';

/** What checking a connector needs to know about the repository around it. */
export interface CheckContext {
  /** Absolute, real path of the repository root. */
  root: string;
  partials: Partials;
  defaults: SpecDefaults;
}

export interface CheckedFile extends Omit<DesiredFile, 'sourceHash'> {
  /** Other files the result depends on (promptFile), repository-relative. */
  deps: string[];
}

const ID = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

/**
 * Runs every check on one connector file: text → YAML → schema → rules → a version. A file
 * that is a symlink depends on the file it links to as well. `isLink`: whether it is one, when
 * the caller knows (a directory listing's file type); asked of the file system otherwise.
 */
export function checkConnectorFile(ctx: CheckContext, file: string, bytes: Uint8Array, isLink?: boolean): CheckedFile {
  const checked = checkFile(ctx, file, bytes);
  const links = isLink === false ? [] : linkTargets(ctx.root, file);
  if (links.length) checked.deps = [...links, ...checked.deps.filter((d) => !links.includes(d))];
  return checked;
}

function checkFile(ctx: CheckContext, file: string, bytes: Uint8Array): CheckedFile {
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  const whole = (message: string, hint: string, rule: string): CheckedFile => ({
    path: file, deps: [], diagnostics: [{ file, line: 1, column: 1, path: '', message, hint, severity: 'error', rule }],
  });
  const decoded = decodeText(bytes);
  if ('error' in decoded) return whole(decoded.error, decoded.hint, 'file');
  const doc = parseYaml(decoded.text, file);
  if (Array.isArray(doc)) return { path: file, deps: [], diagnostics: doc };
  const raw = doc.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return whole(`the file must be a mapping of fields, not ${raw === null ? 'empty' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}`, 'start with fields like `prompt:` and `schedule:`; see schemas/connector.schema.json', 'not-a-mapping');
  }
  const fields = raw as Record<string, unknown>;
  const declaredId = typeof fields.id === 'string' ? fields.id : undefined;
  const id = declaredId ?? stem;
  const known = ID.test(id) ? id : undefined;
  // Results are built by assignment, not by spreading: this runs for each of 5,000 files on a cold apply.
  const result = (diagnostics: Diagnostic[], deps: string[] = []): CheckedFile => {
    const out: CheckedFile = { path: file, deps, diagnostics };
    if (known !== undefined) out.id = known;
    return out;
  };

  // Errors are reported all at once: the rules check every field the schema did not reject.
  const errors = schemaErrors(CONNECTOR_SCHEMA, fields);
  const diagnostics: Diagnostic[] = locateSchemaErrors(errors, doc, file);
  const accepted = errors.length ? acceptedPart(fields, errors) : { value: fields, rejected: [] };
  if (!accepted) return result(diagnostics.sort(compareDiagnostics));
  if (!declaredId && !ID.test(stem) && !touches(accepted.rejected, ['id'])) {
    diagnostics.push({ file, line: 1, column: 1, path: '', message: `the file name "${stem}" is not a valid id`, hint: `add \`id: ${suggestId(stem)}\` or rename the file`, severity: 'error', rule: 'id' });
  }
  const spec = normalize(accepted.value, id, ctx.defaults);
  const env: RuleEnv = { file, root: ctx.root, locate: doc.locate, text: decoded.text, rejected: (p) => touches(accepted.rejected, p) };
  for (const rule of RULES) for (const d of rule(spec, env)) diagnostics.push(d);
  const prompt = checkPrompt(spec, env, ctx.partials);
  for (const d of prompt.diagnostics) diagnostics.push(d);
  // In line order, as the file reads: plan, apply, status and the registry show them as they are.
  diagnostics.sort(compareDiagnostics);

  const checked = result(diagnostics, prompt.deps);
  if (diagnostics.some((d) => d.severity === 'error') || prompt.template === undefined) return checked;
  const version: ConnectorVersion = { spec, sourcePath: file, template: prompt.template, partials: prompt.partials };
  checked.version = version;
  checked.specHash = specHash(version);
  return checked;
}

function suggestId(stem: string): string {
  return stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'my-connector';
}
