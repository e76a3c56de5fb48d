import type { Db } from '../registry/db.js';
import { connectorFilesRead } from '../registry/connectors.js';
import { type Execution } from '../registry/executions.js';
import { StorageHealth } from '../registry/storage.js';
import type { HubConfig } from '../spec/hub-config.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { DEFAULT_KILL_GRACE_MS, runSettings, type BackendMaker } from './backend.js';
import { Executor } from './executor.js';
import { queueDeliveries } from '../deliver/queue.js';
import { LocalBackend } from './local/backend.js';
import { configuredBackend } from './queue/index.js';
import { RunEvents } from './live.js';
import { TranscriptSink } from './transcript-sink.js';

/** Where finished runs and saved outputs go to be committed (the git state). */
export interface RunRecords {
  recordRun(e: Execution): void;
  /** recordRun with its write and flush on the thread pool, resolved once done. */
  recordRunAsync(e: Execution): Promise<void>;
  /** A run that lists a transcript: its file goes next to the record. */
  recordTranscript?(e: Execution): void;
  recordTranscriptAsync?(e: Execution): Promise<void>;
  recordOutput(path: string): void;
}

export interface ExecutionOptions {
  db: Db;
  root: string;
  hub?: HubConfig;
  log?: Logger;
  /** The hub's environment, where `${NAME}` references are looked up. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  killGraceMs?: number;
  /** Where failed writes are noted and finished runs kept until they can be recorded; one of its own if not given. */
  storage?: StorageHealth;
  /** Told of every finished run and saveTo output, for the next commit. */
  records?: RunRecords;
  /** Told when a finished run queued deliveries (the outbox has work); called inside the recording transaction. */
  onDeliveriesQueued?: () => void;
  /** The backend to run jobs on; by default the one hub.yaml's `queue` names (the in-process one without it). */
  backend?: BackendMaker;
  /** Where running runs' events are published for live viewers; one of its own if not given. */
  live?: RunEvents;
}

export const localBackend: BackendMaker = (ctx) => new LocalBackend(ctx);

/**
 * The one way to build execution, for the daemon and `agent-hub run` alike: a backend
 * with the hub's settings and hooks, the executor deciding and recording around it, and
 * the run records handed to the git state.
 */
export function createExecution(o: ExecutionOptions): Executor {
  const log = o.log ?? silentLogger;
  const now = o.now ?? (() => new Date());
  const env = o.env ?? process.env;
  const storage = o.storage ?? new StorageHealth({ dbFile: o.db.name, log });
  const { records } = o;
  let hub = o.hub;
  const sink = new TranscriptSink(o.root, () => hub?.state?.transcripts, o.live ?? new RunEvents(), log);
  const backend = (o.backend ?? configuredBackend(o.hub, env) ?? localBackend)({
    root: o.root, db: o.db, env, log, now, killGraceMs: o.killGraceMs ?? DEFAULT_KILL_GRACE_MS, settings: runSettings(o.hub),
    filesReadByConnectors: () => connectorFilesRead(o.db, o.root),
    onEvent: (id, e) => sink.event(id, e),
    // A saveTo output is on disk already; queuing it for the commit waits for room if need be.
    ...(records ? { onOutput: (p: string) => void storage.keep(`queue ${p} for the next commit`, () => records.recordOutput(p)) } : {}),
  });
  // The sink follows hub.yaml as the backend does: a changed state.transcripts applies to the next event.
  const configure = backend.configure.bind(backend);
  backend.configure = (settings) => {
    hub = settings.hub;
    configure(settings);
  };
  const executor = new Executor({
    db: o.db, backend, storage, log, env, now, inRecord: (job, f) => {
      if (queueDeliveries(o.db, job, f, now()) > 0) o.onDeliveriesQueued?.();
    },
    ...(records ? { afterRecord: (e: Execution) => writeRecordFiles(records, storage, e) } : {}),
  });
  // Before the record files are written: the transcript copied next to the record ends with this.
  executor.onFinished((e) => sink.end(e, now()));
  return executor;
}

/**
 * A finished run's record file and its transcript, flushed to disk off the event loop, side
 * by side (two flushes at once cost about one), before the run's waiters are answered. One
 * that cannot be written now (a full disk) degrades the hub and is written, once, when
 * there is room.
 */
async function writeRecordFiles(records: RunRecords, storage: StorageHealth, e: Execution): Promise<void> {
  const writes = [storage.keepAsync(`write the run record of ${e.id}`, () => records.recordRunAsync(e), () => records.recordRun(e))];
  const { recordTranscript, recordTranscriptAsync } = records;
  if (e.transcript && recordTranscript && recordTranscriptAsync) {
    writes.push(storage.keepAsync(`write the transcript of ${e.id}`, () => recordTranscriptAsync.call(records, e), () => recordTranscript.call(records, e)));
  }
  const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
