import { userInfo } from 'node:os';
import { getConnector } from '../../registry/connectors.js';
import { describePause, getPause, pauseConnector } from '../../registry/pauses.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { openRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';

/** Who a command-line pause is recorded as: $AGENT_HUB_USER, else the login name. */
export function cliUser(): string {
  if (process.env.AGENT_HUB_USER) return process.env.AGENT_HUB_USER;
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

/** `agent-hub pause <id>`: no new runs of the connector (scheduled ones are skipped as "paused") until resumed. */
export async function run(id: string, opts: GlobalOptions & { reason?: string }): Promise<void> {
  const db = openRegistry(resolveRepo(opts.repo));
  try {
    if (!getConnector(db, id)) throw new UserError(`no connector "${id}" in the registry (see agent-hub status)`);
    const fresh = pauseConnector(db, { connectorId: id, by: cliUser(), at: new Date(), reason: opts.reason ?? null });
    const pause = getPause(db, id);
    if (opts.json) return printJson({ paused: true, already: !fresh, ...pause });
    process.stdout.write(`${id}: ${fresh ? '' : 'already '}${pause ? describePause(pause) : 'paused'}\nRuns already going finish; scheduled slots are skipped (reason "paused") and run requests refused. This is a drift from git: the connector file still says it runs.\n`);
  } finally {
    db.close();
  }
}
