/** Secrets shorter than this are not redacted: replacing every "3" in a result helps no one. */
export const MIN_SECRET_LENGTH = 4;

export const REDACTED = '***';

/** Standard base64 to its URL-safe alphabet (RFC 4648 §5). */
const urlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 forms of a secret: alone (with and without padding), and the part of it that
 * shows whatever comes before and after it when the secret is inside a longer encoded
 * text (`user:secret` in a Basic auth header). Base64 turns 3 bytes into 4 characters, so
 * a secret starting at byte offset 0, 1 or 2 of a block has three different encodings;
 * of each, only the characters made from the secret's own bits are fixed. This is what
 * GitHub Actions and GitLab CI mask.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const alone = bytes.toString('base64');
  const out = [alone, alone.replace(/=+$/, '')];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const first = Math.ceil((offset * 8) / 6);
    const last = Math.floor(((offset + bytes.length) * 8) / 6);
    out.push(encoded.slice(first, last));
  }
  return [...out, ...out.map(urlSafe)];
}

/** `\uXXXX` for everything outside printable ASCII, as Python's json.dumps writes by default. */
const asciiJson = (s: string) => JSON.stringify(s).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Every form of a secret the redactor looks for: as it is, JSON-escaped (also with
 * `\uXXXX` and `\/`), URL-encoded (upper- and lower-case escapes), base64 (standard and
 * URL-safe, alone or inside a longer encoded text) and hex.
 */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  // Go's encoding/json also escapes <, > and & (and U+2028/2029).
  const goJson = json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const url = encodeURIComponent(secret);
  // RFC 3986 strict (Python's quote, curl --data-urlencode) also escapes !'()*; quote() keeps "/".
  const strict = url.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const urls = [url, strict, strict.replace(/%2F/g, '/')];
  const hex = Buffer.from(secret, 'utf8').toString('hex');
  const forms = [
    secret, json, goJson, asciiJson(secret), json.replace(/\//g, '\\/'), asciiJson(secret).replace(/\//g, '\\/'),
    ...urls, ...urls.map((u) => u.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())), ...urls.map((u) => u.replace(/%20/g, '+')),
    // Shell quoting, as an agent echoing a command line writes it: '…'\''…' and "…\$…".
    secret.replace(/'/g, "'\\''"), secret.replace(/[$`"\\]/g, (c) => `\\${c}`),
    ...base64Forms(secret), hex, hex.toUpperCase(),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces every occurrence of known secret values, and of their common encodings, with
 * `***`. One regular expression for all of them, longest form first, so a text is scanned
 * once and a form containing another is replaced whole.
 */
export class Redactor {
  private readonly pattern: RegExp | undefined;
  private readonly forms: readonly string[];

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH) for (const f of secretForms(s)) forms.add(f);
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.forms = sorted;
    this.pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  text(value: string): string;
  text(value: string | null | undefined): string | null | undefined;
  text(value: string | null | undefined): string | null | undefined {
    if (!value || !this.pattern) return value;
    return value.replace(this.pattern, REDACTED);
  }

  /**
   * For a text cut at a size limit: redacts it, then also the start of a secret (or of one of
   * its forms) left at the very end, where the cut fell inside it.
   */
  cutText(value: string): string {
    const text = this.text(value);
    if (!this.pattern) return text;
    for (const form of this.forms) {
      for (let k = form.length - 1; k >= MIN_SECRET_LENGTH; k--) {
        if (text.endsWith(form.slice(0, k))) return `${text.slice(0, text.length - k)}${REDACTED}`;
      }
    }
    return text;
  }

  /** Redacts every string inside a JSON-like value, keys included. */
  value<T>(value: T): T {
    if (!this.pattern || value === undefined) return value;
    // String by string, so a secret matching across JSON punctuation cannot break the structure.
    return JSON.parse(JSON.stringify(value), (_key, v: unknown) => {
      if (typeof v === 'string') return this.text(v);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), x]));
      }
      return v;
    }) as T;
  }
}
