import { listExecutions, type ExecutionStatus } from '../../registry/executions.js';
import { UsageError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { historyTable } from '../execution-format.js';

interface HistoryOptions extends GlobalOptions {
  status?: string;
  limit?: string;
}

const STATUSES = ['pending', 'running', 'success', 'failed'];

/** `agent-hub history [id]`: recorded runs, newest first. */
export async function run(id: string | undefined, opts: HistoryOptions): Promise<void> {
  if (opts.status && !STATUSES.includes(opts.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const { db, fromGit } = await openRunRegistry(resolveRepo(opts.repo));
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const rows = listExecutions(db, { ...(id ? { connectorId: id } : {}), ...(opts.status ? { status: opts.status as ExecutionStatus } : {}), limit });
    if (opts.json) printJson(rows);
    else process.stdout.write(rows.length ? historyTable(rows) : 'no runs recorded yet\n');
  } finally {
    db.close();
  }
}
