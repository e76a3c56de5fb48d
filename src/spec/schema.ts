import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../core/types.js';
import type { SourceDoc } from './yaml.js';
import { closest } from './suggest.js';
import { compiledValidator } from './compiled.js';

/**
 * The connector schema compiled ahead of time by ajv (scripts/gen-validators.js, run by
 * `npm run build`): loading ajv and compiling it at each start cost ~200 ms of every
 * command. From V8's code cache where the build made one (compiled.ts), else the ES module.
 * hub.yaml's is in hub-validator.generated.ts, loaded by hub-config.ts alone.
 */
export const CONNECTOR_SCHEMA = compiledValidator('connector')
  ?? ((await import('./validators.generated.js')) as unknown as { connector: ValidateFunction }).connector;

/** What one of our compiled schemas says of a value: nothing when it is valid (`if` errors are reported by their `then`). */
export function schemaErrors(validate: ValidateFunction, value: unknown): ErrorObject[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== 'if');
}

/** Checks a parsed document against one of our compiled schemas; each error is located in the file. */
export function checkSchema(validate: ValidateFunction, doc: SourceDoc, file: string): Diagnostic[] {
  return locateSchemaErrors(schemaErrors(validate, doc.value), doc, file);
}

/** Schema errors as located diagnostics, each with what to do. */
export function locateSchemaErrors(errors: readonly ErrorObject[], doc: SourceDoc, file: string): Diagnostic[] {
  // A bad name is reported once, by its propertyNames error, not also by the pattern inside it.
  return errors.filter((e) => e.keyword === 'propertyNames' || e.propertyName === undefined).map((e) => toDiagnostic(e, doc, file));
}

export function pointerToPath(pointer: string): Array<string | number> {
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
      hint = typeHint(String(params.type), e.data);
      break;
    case 'minLength':
    case 'minItems':
      message = 'must not be empty';
      hint = 'give it a value, or remove the field';
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      hint = `${JSON.stringify(e.data)} is out of range`;
      break;
    case 'enum':
      message = `${JSON.stringify(e.data)} is not allowed`;
      hint = `use one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'pattern':
      message = `${JSON.stringify(e.data)} has the wrong form`;
      hint = patternHint(String(params.pattern));
      break;
    case 'maxLength':
      hint = 'shorten it';
      break;
    case 'uniqueItems':
      hint = 'remove the repeated item';
      break;
    case 'propertyNames':
      path = [...path, String(params.propertyName)];
      key = true;
      message = `the name "${String(params.propertyName)}" is not allowed`;
      hint = 'names are letters, digits and underscores, not starting with a digit';
      break;
  }
  hint ??= `see ${path.length ? `"${path.join('.')}" in ` : ''}the JSON Schema (schemas/*.schema.json) for what is allowed`;
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

/** What to write instead of a value of the wrong type; quoting and YAML 1.1 habits are the usual causes. */
function typeHint(type: string, data: unknown): string {
  if (type === 'boolean' && typeof data === 'string') {
    return /^(yes|no|on|off|y|n)$/i.test(data) ? 'write true or false (YAML 1.2 reads yes, no, on and off as text)' : 'write true or false, without quotes';
  }
  if ((type === 'integer' || type === 'number') && typeof data === 'string' && data.trim() !== '' && !Number.isNaN(Number(data))) return 'remove the quotes: a quoted number is text';
  if (type === 'string' && (typeof data === 'number' || typeof data === 'boolean')) return `put it in quotes: "${String(data)}"`;
  if (type.includes('array')) return 'write a list: one `- item` per line, or [a, b]';
  if (type.includes('object')) return 'write a mapping: `key: value` lines indented under the field';
  return `write ${article(type)} here`;
}

function patternHint(pattern: string): string {
  if (pattern.includes('ms|s|m|h|d')) return 'write a number and a unit, like 90s, 5m, 2h or 1h30m';
  if (pattern.startsWith('^[a-z0-9]')) return 'ids are lowercase letters, digits and dashes, up to 64 characters, like daily-digest';
  return `must match ${pattern}`;
}
