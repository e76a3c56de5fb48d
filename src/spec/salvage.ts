import type { ErrorObject } from 'ajv';
import { CONNECTOR_SCHEMA, pointerToPath, schemaErrors } from './schema.js';
import { closest } from './suggest.js';

export type FieldPath = ReadonlyArray<string | number>;

/** A document with every value the schema refused taken out, and where those were. */
export interface AcceptedPart {
  value: Record<string, unknown>;
  /** Paths of the values taken out (or missing), for rules to stay quiet about what depends on them. */
  rejected: FieldPath[];
}

/**
 * Where a schema error is: the value to take out, or (for a missing field) only where it is
 * missing. A misspelled field also stands for the field it was meant to be (`promt` for
 * `prompt`): what its absence would cause is not reported besides.
 */
function located(e: ErrorObject): { path: FieldPath; remove: boolean; meant?: FieldPath } {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    const prop = String(params.additionalProperty);
    const meant = closest(prop, Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}));
    return { path: [...path, prop], remove: true, ...(meant ? { meant: [...path, meant] } : {}) };
  }
  if (e.keyword === 'required') return { path: [...path, String(params.missingProperty)], remove: false };
  // A bad property name is reported on its object, with the name beside it.
  const name = e.propertyName ?? (typeof params.propertyName === 'string' ? params.propertyName : undefined);
  if (name !== undefined) return { path: [...path, name], remove: true };
  return { path, remove: true };
}

/** The value without what is at `path`; a list loses itself whole (its other items would shift). */
function without(value: unknown, path: FieldPath): unknown {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  // From entries, not by assignment: a key named "__proto__" stays a key.
  const entries = Object.entries(value as Record<string, unknown>).flatMap(([k, v]): Array<[string, unknown]> => {
    if (k !== String(head)) return [[k, v]];
    if (!rest.length || Array.isArray(v)) return [];
    return [[k, without(v, rest)]];
  });
  return Object.fromEntries(entries);
}

/**
 * The part of a connector the schema accepts, so that the semantic rules can check every
 * field the schema did not reject and validate reports all of a file's errors at once.
 * Undefined when nothing useful is left (the document itself was refused).
 */
export function acceptedPart(value: Record<string, unknown>, errors: readonly ErrorObject[]): AcceptedPart | undefined {
  const rejected: FieldPath[] = [];
  let current: unknown = value;
  let pending = errors;
  // Taking a value out can only remove errors; a few passes reach a valid document.
  for (let pass = 0; pass < 4; pass++) {
    const found = pending.map(located);
    const removals = found.filter((l) => l.remove);
    rejected.push(...found.flatMap((l) => (l.meant ? [l.path, l.meant] : [l.path])));
    if (!removals.length) return { value: current as Record<string, unknown>, rejected };
    if (removals.some((l) => l.path.length === 0)) return undefined;
    for (const { path } of removals) current = without(current, path);
    if (current === null || typeof current !== 'object') return undefined;
    pending = schemaErrors(CONNECTOR_SCHEMA, current);
  }
  if (!pending.every((e) => e.keyword === 'required')) return undefined;
  return { value: current as Record<string, unknown>, rejected: [...rejected, ...pending.map((e) => located(e).path)] };
}

/** Whether a field, something inside it or something around it was rejected: rules reading it would judge a guess. */
export function touches(rejected: readonly FieldPath[], path: FieldPath): boolean {
  return rejected.some((r) => {
    const n = Math.min(r.length, path.length);
    for (let i = 0; i < n; i++) if (String(r[i]) !== String(path[i])) return false;
    return true;
  });
}
