import { signBody } from '../events/signature.js';
import { failure, request, type SendResult } from './http.js';

/**
 * A JSON POST. It carries an Idempotency-Key that stays the same over retries and restarts:
 * a receiver that keeps the keys it saw takes a delivery once, even when the hub cannot know
 * whether an attempt cut short by a crash arrived. Signed (X-Hub-Signature-256) with a secret.
 */
export async function sendWebhook(p: { url: string; body: unknown; key: string; secret?: string; signal?: AbortSignal }): Promise<SendResult> {
  const text = JSON.stringify(p.body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'agent-hub', 'idempotency-key': p.key };
  if (p.secret) headers['x-hub-signature-256'] = signBody(p.secret, Buffer.from(text));
  const a = await request(p.url, { method: 'POST', headers, body: text, ...(p.signal ? { signal: p.signal } : {}) });
  return a.status >= 200 && a.status < 300 ? { ok: true, detail: `HTTP ${a.status}` } : failure(`POST ${new URL(p.url).host}`, a);
}
