import { getExecution, listExecutions, type Execution } from '../../registry/executions.js';
import { UserError } from '../../core/errors.js';
import type { TranscriptEvent } from '../../agents/transcript.js';
import { loadHubConfig } from '../../spec/hub-config.js';
import { readTranscript } from '../../gitstate/transcript-read.js';
import { readServerFile } from '../../daemon/server-file.js';
import { localTranscriptPath, readTranscriptFile } from '../../execute/transcript-files.js';
import { openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { formatEvent } from '../transcript-format.js';

type LogsOptions = GlobalOptions & { follow?: boolean; url?: string };

/** The run named, or a connector's running run, else its last one. */
function pick(db: Parameters<typeof getExecution>[0], target: string): Execution {
  const run = getExecution(db, target);
  if (run) return run;
  const runs = listExecutions(db, { connectorId: target, limit: 50 });
  const chosen = runs.find((r) => r.status === 'running') ?? runs.find((r) => r.status === 'pending') ?? runs[0];
  if (!chosen) throw new UserError(`no run "${target}", and no connector of that id has runs (see agent-hub history)`);
  return chosen;
}

/** `agent-hub logs [-f] <run|connector>`: a run's transcript; with -f, followed live from the running hub. */
export async function run(target: string, opts: LogsOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const { db } = await openRunRegistry(root);
  let e: Execution;
  try {
    e = pick(db, target);
  } finally {
    db.close();
  }
  const print = (ev: TranscriptEvent) => process.stdout.write(opts.json ? `${JSON.stringify(ev)}\n` : `${formatEvent(ev)}\n`);
  const finished = e.status === 'success' || e.status === 'failed';
  if (!opts.follow || finished) {
    if (!opts.json) process.stderr.write(`run ${e.id} of ${e.connectorId}: ${e.status}\n`);
    const events = await readTranscript(root, loadHubConfig(root).config, e);
    if (!events) throw new UserError(`run ${e.id} has no transcript here (state.transcripts may be off)`);
    for (const ev of events) print(ev);
    return;
  }
  const url = opts.url ?? readServerFile(root)?.url;
  if (!opts.json) process.stderr.write(`following run ${e.id} of ${e.connectorId} (${url ?? localTranscriptPath(root, e.id)})\n`);
  if (url) await follow(new URL(`api/executions/${e.id}/events`, url), print);
  else await followFile(root, e.id, print);
}

/**
 * Without a daemon (a run started by `agent-hub run` in another terminal): the transcript
 * file the run writes as it goes, read as it grows, until the registry records the run.
 */
async function followFile(root: string, id: string, print: (e: TranscriptEvent) => void): Promise<void> {
  const { db } = await openRunRegistry(root);
  let seen = 0;
  try {
    for (;;) {
      const e = getExecution(db, id);
      const done = e?.status === 'success' || e?.status === 'failed';
      for (const ev of readTranscriptFile(localTranscriptPath(root, id)) ?? []) {
        if (ev.seq <= seen) continue;
        seen = ev.seq;
        print(ev);
        if (ev.kind === 'end') return;
      }
      if (done) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    db.close();
  }
}

/** Reads the run's Server-Sent Events until its end; reconnects with Last-Event-ID when the stream drops. */
async function follow(url: URL, print: (e: TranscriptEvent) => void): Promise<void> {
  const token = process.env.AGENT_HUB_TOKEN || process.env.AGENT_HUB_READ_TOKEN;
  let last = 0;
  for (let tries = 0; tries < 5; tries++) {
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(last ? { 'last-event-id': String(last) } : {}) } });
    } catch (err) {
      if (tries === 4) throw new UserError(`cannot reach the hub at ${url.origin}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (res.status === 401) throw new UserError('the hub wants a token: set AGENT_HUB_TOKEN or AGENT_HUB_READ_TOKEN');
    if (!res.ok || !res.body) throw new UserError(`the hub answered ${res.status}: ${(await res.text()).trim()}`);
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        const ev = JSON.parse(data) as TranscriptEvent;
        last = ev.seq;
        print(ev);
        if (ev.kind === 'end') return;
      }
    }
  }
}
