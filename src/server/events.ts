import type { TranscriptEvent } from '../agents/transcript.js';
import type { HubView } from './view.js';

/** A comment line every so often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

const frame = (e: TranscriptEvent) => `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * `GET /api/executions/:id/events`: the run's transcript as Server-Sent Events, every
 * event after `after` (the Last-Event-ID a reconnecting browser sends), then each new one
 * as it happens, ending with an `end` event when the run is recorded. A finished run
 * gets its stored steps and the end at once.
 */
export function runEventStream(view: HubView, id: string, after: number, stored?: TranscriptEvent[]): Response {
  let cleanup = () => undefined as void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      let sent = after;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      const send = (e: TranscriptEvent) => {
        if (closed || e.seq <= sent) return;
        sent = e.seq;
        controller.enqueue(encoder.encode(frame(e)));
        if (e.kind === 'end') close();
      };
      // Subscribed before the stored steps are read, in the same turn: nothing falls between.
      const unsubscribe = view.subscribe(id, send);
      const heartbeat = setInterval(() => !closed && controller.enqueue(encoder.encode(': ping\n\n')), HEARTBEAT_MS);
      heartbeat.unref();
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
      for (const e of stored ?? view.transcript(id) ?? []) send(e);
      for (const e of view.liveSince(id, sent)) send(e);
      const run = view.execution(id);
      if (run && (run.status === 'success' || run.status === 'failed') && !view.isLive(id)) {
        send({ kind: 'end', status: run.status, error: run.error, seq: sent + 1, at: run.finishedAt ?? new Date().toISOString() });
      }
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no' },
  });
}
