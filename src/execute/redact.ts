/** Secrets shorter than this are not redacted: replacing every "3" in a result helps no one. */
export const MIN_SECRET_LENGTH = 4;

export const REDACTED = '***';

/** Replaces every occurrence of known secret values with `***`. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  }

  text(value: string): string;
  text(value: string | null | undefined): string | null | undefined;
  text(value: string | null | undefined): string | null | undefined {
    if (!value || this.secrets.length === 0) return value;
    let out = value;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Redacts every string inside a JSON-like value. */
  value<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return JSON.parse(this.text(JSON.stringify(value)) ?? 'null') as T;
  }
}
