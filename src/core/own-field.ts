/**
 * `out[k] = v`, except that a key "__proto__" (a YAML key, an env variable's name) stays a
 * field of its own instead of setting the object's prototype, which JSON.stringify and
 * Object.keys would then never see.
 */
export function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
