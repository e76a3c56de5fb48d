import { getConnector } from '../../registry/connectors.js';
import { resumeConnector } from '../../registry/pauses.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { openRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub resume <id>`: ends a pause; the next slot runs. */
export async function run(id: string, opts: GlobalOptions): Promise<void> {
  const db = openRegistry(resolveRepo(opts.repo));
  try {
    if (!getConnector(db, id)) throw new UserError(`no connector "${id}" in the registry (see agent-hub status)`);
    const was = resumeConnector(db, id);
    if (opts.json) return printJson({ resumed: Boolean(was), pausedBy: was?.by ?? null, pausedAt: was?.at ?? null });
    process.stdout.write(was ? `${id}: resumed (it was paused by ${was.by} at ${was.at}); it runs on its schedule again\n` : `${id} was not paused\n`);
  } finally {
    db.close();
  }
}
