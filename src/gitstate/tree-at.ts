import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { git, gitBytes } from './git.js';
import { UserError } from '../core/errors.js';

/**
 * Checks out the hub files (connectors/, hub.yaml) of a git ref into a temporary
 * directory, without touching the work tree or the index. The caller removes it with
 * the returned `dispose`.
 */
export async function hubFilesAt(root: string, ref: string): Promise<{ dir: string; dispose: () => void }> {
  const resolved = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { ok: [1, 128] });
  if (resolved.exitCode !== 0) {
    // Say what there is: a fresh clone in CI often has only origin/main, a fresh hub no commit at all.
    const refs = (await git(root, ['for-each-ref', '--count=12', '--format=%(refname:short)', 'refs/heads', 'refs/remotes', 'refs/tags'])).stdout.split('\n').filter(Boolean);
    throw new UserError(`"${ref}" is not a commit in this repository; ${refs.length ? `refs here: ${refs.join(', ')}` : 'it has no commits yet: commit the connectors first'}`);
  }
  const commit = resolved.stdout.trim();
  const prefix = (await git(root, ['rev-parse', '--show-prefix'])).stdout.trim();
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-hub-base-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const listed = await git(root, ['ls-tree', '--name-only', commit, '--', `${prefix}connectors`, `${prefix}hub.yaml`]);
    const paths = listed.stdout.split('\n').filter(Boolean);
    if (paths.length) {
      const strip = prefix ? prefix.split('/').filter(Boolean).length : 0;
      // Only connectors and hub.yaml: small enough to hold in memory between git and tar.
      const archive = await gitBytes(root, ['archive', '--format=tar', commit, '--', ...paths.map((p) => `:(top)${p}`)], '');
      await execa('tar', ['-x', '-C', dir, `--strip-components=${strip}`], { input: archive });
    }
    return { dir, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
