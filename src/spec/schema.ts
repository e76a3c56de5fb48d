import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../core/types.js';
import type { SourceDoc } from './yaml.js';
import { closest } from './suggest.js';
import * as generated from './validators.generated.js';

/**
 * The schemas compiled ahead of time by ajv (scripts/gen-validators.js, run by `npm run
 * build`): loading ajv and compiling them at each start cost ~200 ms of every command.
 */
const validators = generated as unknown as Record<'connector' | 'hub', ValidateFunction>;

function validator(name: 'connector' | 'hub'): ValidateFunction {
  return validators[name];
}

/** Checks a parsed document against one of our schemas; each error is located in the file. */
export function checkSchema(name: 'connector' | 'hub', doc: SourceDoc, file: string): Diagnostic[] {
  const validate = validator(name);
  if (validate(doc.value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  return errors.map((e) => toDiagnostic(e, doc, file));
}

function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function toDiagnostic(e: ErrorObject, doc: SourceDoc, file: string): Diagnostic {
  let path = pointerToPath(e.instancePath);
  let key = false;
  let message = e.message ?? 'is invalid';
  let hint: string | undefined;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      path = [...path, prop];
      key = true;
      message = `unknown field "${prop}"`;
      const guess = closest(prop, known);
      hint = guess ? `did you mean "${guess}"?` : known.length ? `known fields here: ${known.join(', ')}` : 'remove it';
      break;
    }
    case 'required':
      message = `missing required field "${String(params.missingProperty)}"`;
      hint = `add ${String(params.missingProperty)}: to this mapping`;
      break;
    case 'type':
      message = `must be ${article(String(params.type))}, not ${describeType(e.data)}`;
      break;
    case 'enum':
      message = `${JSON.stringify(e.data)} is not allowed`;
      hint = `use one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'pattern':
      message = `${JSON.stringify(e.data)} has the wrong form`;
      hint = patternHint(String(params.pattern));
      break;
    case 'propertyNames':
      message = 'has a name that is not allowed';
      hint = 'names are letters, digits and underscores, not starting with a digit';
      break;
  }
  const pos = doc.locate(path, { key });
  return {
    file, ...pos, path: path.join('.'), message, severity: 'error', rule: `schema/${e.keyword}`,
    ...(hint ? { hint } : {}),
  };
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false' };
  return type.split(',').map((t) => names[t] ?? t).join(' or ');
}

function patternHint(pattern: string): string {
  if (pattern.includes('ms|s|m|h|d')) return 'write a number and a unit, like 90s, 5m, 2h or 1h30m';
  if (pattern.startsWith('^[a-z0-9]')) return 'ids are lowercase letters, digits and dashes, up to 64 characters, like daily-digest';
  return `must match ${pattern}`;
}
