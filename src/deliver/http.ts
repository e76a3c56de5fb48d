/** The outcome of one send: done (with what to note), or not, and whether trying again can help. */
export type SendResult = { ok: true; detail: string } | { ok: false; retryable: boolean; detail: string };

const TIMEOUT_MS = 15_000;

export interface HttpAnswer {
  status: number;
  json: unknown;
  link: string | null;
}

/** One HTTP request with a timeout; a network error or timeout throws (the caller retries). */
export async function request(url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<HttpAnswer> {
  const { signal, ...rest } = init;
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const res = await fetch(url, { ...rest, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'error' });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text.slice(0, 200);
  }
  return { status: res.status, json, link: res.headers.get('link') };
}

/** A failed HTTP answer: 408, 429 and 5xx may pass; other 4xx will not, whatever is retried. */
export function failure(what: string, a: HttpAnswer): SendResult {
  const message = (a.json && typeof a.json === 'object' && 'message' in a.json ? String((a.json as { message: unknown }).message) : typeof a.json === 'string' ? a.json : '').slice(0, 200);
  return { ok: false, retryable: a.status === 408 || a.status === 429 || a.status >= 500, detail: `${what}: HTTP ${a.status}${message ? ` ${message}` : ''}` };
}
