import type { InputSpec, InputType } from '../core/types.js';
import { MAX_NESTING, pathBeyondDepth } from '../core/depth.js';

export type InputResult = { ok: true; values: Record<string, unknown> } | { ok: false; errors: string[] };

/**
 * Names every JavaScript object already has (`constructor`, `toString`, `__proto__`…) and
 * `prototype`: an input with such a name would be read from the object's prototype instead
 * of the inputs (or set the prototype), so it is refused.
 */
export const RESERVED_INPUT_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** The largest integer a JSON number holds exactly: 2^53 − 1. */
const MAX_INTEGER = Number.MAX_SAFE_INTEGER;

/** True when `value` has the declared type. Integers must be exact: within ±(2^53 − 1). */
export function hasType(value: unknown, type: InputType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'integer': return Number.isSafeInteger(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** Turns a command-line `--input k=v` string into a value of the declared type. */
export function coerce(text: string, type: InputType): unknown {
  switch (type) {
    case 'string': return text;
    // Decimal only: Number() would also take "0x10", "0b1", "Infinity" and "" (as 0).
    case 'number': return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim()) ? Number(text) : text;
    case 'integer': return /^[-+]?\d+$/.test(text.trim()) ? Number(text) : text;
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
  // Own properties only, and values built from entries: a name like "constructor" or
  // "__proto__" must never be read from (or written to) an object's prototype.
  const own = (o: object, name: string) => Object.hasOwn(o, name);
  const values: Array<[string, unknown]> = [];
  for (const name of Object.keys(provided)) {
    if (!own(declared, name)) {
      const known = Object.keys(declared);
      errors.push(`unknown input "${name}"; ${known.length ? `declared inputs: ${known.join(', ')}` : 'this connector declares no inputs'}`);
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const given = own(provided, name) ? provided[name] : undefined;
    let value = given;
    if (value === undefined) {
      if (spec.default !== undefined) value = spec.default;
      else if (spec.required) {
        errors.push(`input "${name}" is required${spec.description ? ` (${spec.description})` : ''}: pass --input ${name}=…`);
        continue;
      } else {
        values.push([name, null]);
        continue;
      }
    } else if (coerceStrings && typeof value === 'string') {
      value = coerce(value, spec.type);
    }
    if (!hasType(value, spec.type)) {
      errors.push(typeError(name, spec.type, given ?? value, value));
      continue;
    }
    // The input counts as level 1 of the run's inputs: it may nest MAX_NESTING − 1 levels.
    if (pathBeyondDepth(value, MAX_NESTING - 1)) {
      errors.push(`input "${name}" nests lists and objects deeper than ${MAX_NESTING - 1} levels, the limit`);
      continue;
    }
    if (spec.enum && !spec.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errors.push(`input "${name}" must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
      continue;
    }
    values.push([name, value]);
  }
  return errors.length ? { ok: false, errors } : { ok: true, values: Object.fromEntries(values) };
}

/** Why a value is not of its input's type, with what to write instead where it helps. */
function typeError(name: string, type: InputType, shown: unknown, value: unknown): string {
  const base = `input "${name}" must be ${type}, got ${JSON.stringify(shown)}`;
  if (type === 'integer' && Number.isInteger(value)) {
    return `${base}: beyond ${MAX_INTEGER} (2^53 − 1), the largest integer held exactly; pass larger numbers as a string input`;
  }
  if ((type === 'integer' || type === 'number') && typeof shown === 'string' && /^\s*[-+]?0[xXoObB]/.test(shown)) {
    return `${base}: write it in decimal`;
  }
  return base;
}
