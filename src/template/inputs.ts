import type { InputSpec, InputType } from '../core/types.js';

export type InputResult = { ok: true; values: Record<string, unknown> } | { ok: false; errors: string[] };

/** True when `value` has the declared type. */
export function hasType(value: unknown, type: InputType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'integer': return Number.isInteger(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** Turns a command-line `--input k=v` string into a value of the declared type. */
export function coerce(text: string, type: InputType): unknown {
  switch (type) {
    case 'string': return text;
    case 'number':
    case 'integer': return text.trim() === '' ? Number.NaN : Number(text);
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      return text;
    }
    case 'array':
    case 'object':
      try { return JSON.parse(text) as unknown; } catch { return text; }
  }
}

/**
 * Checks provided inputs against the declaration and fills defaults. An optional input
 * without a default is null, so strict templates can test it with `{{#if}}`.
 * String values (from the command line) are coerced to the declared type first.
 */
export function resolveInputs(declared: Record<string, InputSpec>, provided: Record<string, unknown>, coerceStrings = false): InputResult {
  const errors: string[] = [];
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(provided)) {
    if (!(name in declared)) {
      const known = Object.keys(declared);
      errors.push(`unknown input "${name}"; ${known.length ? `declared inputs: ${known.join(', ')}` : 'this connector declares no inputs'}`);
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    let value = provided[name];
    if (value === undefined) {
      if (spec.default !== undefined) value = spec.default;
      else if (spec.required) {
        errors.push(`input "${name}" is required${spec.description ? ` (${spec.description})` : ''}: pass --input ${name}=…`);
        continue;
      } else {
        values[name] = null;
        continue;
      }
    } else if (coerceStrings && typeof value === 'string') {
      value = coerce(value, spec.type);
    }
    if (!hasType(value, spec.type)) {
      errors.push(`input "${name}" must be ${spec.type}, got ${JSON.stringify(provided[name] ?? value)}`);
      continue;
    }
    if (spec.enum && !spec.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errors.push(`input "${name}" must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
      continue;
    }
    values[name] = value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}
