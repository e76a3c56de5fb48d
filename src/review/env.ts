const REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * An env value as a plan may show it: a bare `${NAME}` reference to the hub's environment
 * (it names a secret, it is not one); undefined for anything else, which may be a literal secret.
 */
export function envValueShown(value: string): string | undefined {
  return REFERENCE.test(value) ? value : undefined;
}
