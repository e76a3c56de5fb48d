import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { UserError } from '../core/errors.js';

/**
 * Checks out the hub files (connectors/, hub.yaml) of a git ref into a temporary
 * directory, without touching the work tree or the index. The caller removes it with
 * the returned `dispose`.
 */
export async function hubFilesAt(root: string, ref: string): Promise<{ dir: string; dispose: () => void }> {
  const resolved = await execa('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, reject: false });
  if (resolved.exitCode !== 0) throw new UserError(`"${ref}" is not a commit in this repository`);
  const prefix = (await execa('git', ['rev-parse', '--show-prefix'], { cwd: root })).stdout.trim();
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-hub-base-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const listed = await execa('git', ['ls-tree', '--name-only', resolved.stdout.trim(), '--', `${prefix}connectors`, `${prefix}hub.yaml`], { cwd: root });
    const paths = listed.stdout.split('\n').filter(Boolean);
    if (paths.length) {
      const strip = prefix ? prefix.split('/').filter(Boolean).length : 0;
      await execa('git', ['archive', '--format=tar', resolved.stdout.trim(), '--', ...paths.map((p) => `:(top)${p}`)], { cwd: root })
        .pipe('tar', ['-x', '-C', dir, `--strip-components=${strip}`]);
    }
    return { dir, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
