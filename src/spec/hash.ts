import { hash } from 'node:crypto';
import type { ConnectorVersion } from '../core/types.js';
import { setOwn } from '../core/own-field.js';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  // A sorted copy stringified without a replacer: a replacer, called for every value, cost
  // ~1.5× as much, and a cold apply hashes 5,000 specs. The text is the same, byte for byte.
  return JSON.stringify(sortedCopy(value, ''));
}

/**
 * The value with object keys in sorted order (what JSON.stringify then writes), toJSON()
 * applied as JSON.stringify would. A "__proto__" key is copied as a field, never set as the
 * prototype (which JSON.stringify would leave out).
 */
function sortedCopy(value: unknown, key: string | number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  let v = value as Record<string, unknown>;
  if (typeof v.toJSON === 'function') {
    const replaced = (v as { toJSON: (k: string) => unknown }).toJSON(String(key));
    if (typeof replaced !== 'object' || replaced === null) return replaced;
    v = replaced as Record<string, unknown>;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = sortedCopy(v[i], i);
    return out;
  }
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) setOwn(out, k, sortedCopy(v[k], k));
  return out;
}

/** The version of a connector: a hash of what it does (spec, template, partials), not of where it lives. */
export function specHash(version: Omit<ConnectorVersion, 'sourcePath'>): string {
  // crypto.hash, one-shot: a quarter of createHash's cost for a spec's ~1 KB (a cold apply hashes 5,000).
  return hash('sha256', canonicalJson({ spec: version.spec, template: version.template, partials: version.partials }), 'hex');
}

/** Short form of a hash for people: the first 12 hex digits, like git's short ids. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
