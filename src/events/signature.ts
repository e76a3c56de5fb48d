import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The X-Hub-Signature-256 value of a body: `sha256=` and the hex HMAC-SHA256 under `secret`. */
export function signBody(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the body's signature under `secret`, compared in constant time (over
 * digests of both, so neither the length nor a prefix of the right value leaks).
 */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header) return false;
  return sameSecret(header.trim().toLowerCase(), signBody(secret, body));
}

/** Constant-time equality of two strings that reveals neither their length nor a common prefix. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `${NAME}` → the value in `env`; undefined when unset or empty (a reference that resolves to nothing opens nothing). */
export function resolveRef(ref: string | undefined, env: NodeJS.ProcessEnv): { name: string; value: string | undefined } | undefined {
  const m = ref === undefined ? null : /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(ref);
  if (!m) return undefined;
  const name = m[1] as string;
  return { name, value: env[name] || undefined };
}
