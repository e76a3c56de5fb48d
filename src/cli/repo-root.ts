import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONNECTORS_DIR, repoRoot } from '../spec/load.js';
import { HUB_FILE } from '../spec/hub-file.js';
import { UserError } from '../core/errors.js';

// Apart from repo.ts (the registry's openers) so that commands without a database (validate) load none of it.

/**
 * The hub repository a command works on (`--repo`, default the current directory). A
 * directory with neither `connectors/` nor `hub.yaml` is refused before anything is
 * read or created in it (no `.agent-hub/` appears in a directory that is not a hub).
 */
export function resolveRepo(dir: string | undefined): string {
  const abs = path.resolve(dir ?? '.');
  if (!existsSync(abs)) throw new UserError(`${abs}: no such directory (pass --repo DIR, or run agent-hub init ${dir ?? '.'})`);
  const root = repoRoot(abs);
  if (!isHub(root)) {
    const hub = enclosingHub(root);
    // `agent-hub init` here would make a hub inside the hub (connectors/connectors/…).
    if (hub) throw new UserError(`${root} is not an agent-hub repository: it is inside the hub ${hub}; run agent-hub there, or pass --repo ${hub}`);
    const init = dir === undefined ? 'agent-hub init' : `agent-hub init ${dir}`;
    throw new UserError(`${root} is not an agent-hub repository: no ${CONNECTORS_DIR}/ or ${HUB_FILE}; run \`${init}\` to make it one, or pass --repo DIR`);
  }
  return root;
}

function isHub(dir: string): boolean {
  return existsSync(path.join(dir, CONNECTORS_DIR)) || existsSync(path.join(dir, HUB_FILE));
}

/** The nearest directory above `dir` that is a hub, if any: where a command run in connectors/ was meant to go. */
function enclosingHub(dir: string): string | undefined {
  for (let up = path.dirname(dir); up !== dir; dir = up, up = path.dirname(up)) {
    if (isHub(up)) return up;
  }
  return undefined;
}
