import { createHash } from 'node:crypto';
import type { ConnectorVersion } from '../core/types.js';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** The version of a connector: a hash of what it does (spec, template, partials), not of where it lives. */
export function specHash(version: Omit<ConnectorVersion, 'sourcePath'>): string {
  return createHash('sha256').update(canonicalJson({ spec: version.spec, template: version.template, partials: version.partials })).digest('hex');
}

/** Short form of a hash for people: the first 12 hex digits, like git's short ids. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
