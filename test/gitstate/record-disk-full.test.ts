import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { git, gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const root = process.getuid?.() === 0;
if (!root) console.log('record disk-full test skipped: mounting a small tmpfs needs root (run the suite as root, as CI does)');

/** Every file under dir, with its size. */
function files(dir: string): Array<{ file: string; size: number }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => ({ file: path.join(e.parentPath, e.name), size: statSync(path.join(e.parentPath, e.name)).size }));
}

describe('a run record that cannot be written (the disk under the waiting records is full)', () => {
  it.skipIf(!root)('degrades the hub, leaves no empty record, and the run is committed once when space returns', async () => {
    const repo = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/r.yaml': yaml({ prompt: 'x\n@fake result done' }) });
    const pending = path.join(repo, '.agent-hub', 'pending');
    mkdirSync(pending, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', pending]);
    onTestFinished(() => void spawnSync('umount', ['-l', pending]));
    const filler = path.join(pending, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(4096, 1));
    } catch {
      // full
    } finally {
      closeSync(fd);
    }
    const hub = new Hub({ repo, env: fakeClaudeEnv().env, storageRetryMs: 50 });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    const e = await hub.executor.waitFinal((hub.run('r') as { id: string }).id);
    expect(e.status).toBe('success');
    expect(hub.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringMatching(/^disk full/)] });
    expect(files(pending).filter((f) => f.file !== filler && f.size === 0)).toEqual([]);

    rmSync(filler);
    await eventually(() => expect(hub.health().status).toBe('ok'), 10_000);
    await hub.gitState.commit();
    await hub.gitState.commit();
    const trailers = git(repo, 'log', '--format=%B').match(new RegExp(`^Agent-Hub-Run: ${e.id} `, 'gm')) ?? [];
    expect(trailers).toHaveLength(1);
  });
});
