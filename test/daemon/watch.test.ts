import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { watchConnectors } from '../../src/daemon/watch.js';
import { testdir, writeFiles } from '../helpers/repo.js';
import { eventually } from '../helpers/fake-agent.js';

/** A watcher on a temp repo, and every call it made. */
function watched(files: Record<string, string>, debounceMs = 20, before?: (root: string) => void) {
  const root = testdir(files);
  before?.(root);
  const calls: string[][] = [];
  const w = watchConnectors(root, (paths) => calls.push(paths), { debounceMs });
  onTestFinished(() => w.close());
  /** Waits for the next call after `act` and returns its paths. */
  const next = async (act: () => void) => {
    const before = calls.length;
    act();
    await eventually(() => expect(calls.length).toBeGreaterThan(before), 3000, 5);
    return calls.slice(before).flat();
  };
  return { root, calls, next, follow: (files: string[]) => w.followFiles(files), rescan: () => w.rescan(), close: () => w.close() };
}

const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

describe('the connector watcher (real file events)', () => {
  it('calls once when ready, then once per burst, with the paths; a write right after a call gets a call of its own', async () => {
    const { root, calls, next } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'README.md': 'x' });
    await eventually(() => expect(calls).toEqual([[]]), 3000, 5);
    const burst = await next(() => {
      for (let i = 0; i < 5; i++) writeFiles(root, { 'connectors/a.yaml': `prompt: a${i}\n` });
    });
    expect(new Set(burst)).toEqual(new Set(['connectors/a.yaml']));
    // No write is lost to throttling, however close it follows the last call.
    expect(await next(() => writeFiles(root, { 'connectors/a.yaml': 'prompt: again\n' }))).toEqual(['connectors/a.yaml']);
    await settle(50);
    expect(calls).toHaveLength(3);
    expect(await next(() => writeFiles(root, { 'hub.yaml': 'resync: { interval: 1m }\n' }))).toEqual(['hub.yaml']);
    writeFiles(root, { 'README.md': 'y', 'other/x.yaml': 'prompt: x\n' });
    await settle();
    expect(calls).toHaveLength(4);
  });

  it('follows editors\' atomic saves, new subdirectories, and connectors/ removed and made again', async () => {
    const { root, next } = watched({ 'connectors/a.yaml': 'prompt: a\n' });
    await settle(50);
    expect(await next(() => {
      writeFileSync(path.join(root, 'connectors/.a.yaml.swp'), 'prompt: saved\n');
      renameSync(path.join(root, 'connectors/.a.yaml.swp'), path.join(root, 'connectors/a.yaml'));
    })).toContain('connectors/a.yaml');
    await next(() => mkdirSync(path.join(root, 'connectors/team/deep'), { recursive: true }));
    expect(await next(() => writeFiles(root, { 'connectors/team/deep/b.yaml': 'prompt: b\n' }))).toContain('connectors/team/deep/b.yaml');
    await next(() => rmSync(path.join(root, 'connectors'), { recursive: true }));
    await next(() => mkdirSync(path.join(root, 'connectors')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'connectors/back.yaml': 'prompt: back\n' }))).toContain('connectors/back.yaml');
    // A subdirectory removed and made again under the same name is watched again too.
    await next(() => mkdirSync(path.join(root, 'connectors/team')));
    await next(() => rmSync(path.join(root, 'connectors/team'), { recursive: true }));
    await next(() => mkdirSync(path.join(root, 'connectors/team')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'connectors/team/c.yaml': 'prompt: c\n' }))).toContain('connectors/team/c.yaml');
  });

  it('follows the file a symlink under connectors/ leads to, outside connectors/ too: its edits (in place or an atomic save) name the link', async () => {
    const { root, next } = watched({ 'connectors/team/t.yaml': 'prompt: t\n', 'shared/base.yaml': 'prompt: base\n', 'shared/p.hbs': 'v1' });
    symlinkSync('../shared/base.yaml', path.join(root, 'connectors/base.yaml'));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/base.yaml': 'prompt: base v2\n' }))).toContain('connectors/base.yaml');
    // An editor's save of the target replaces it: the link is followed to the new file.
    expect(await next(() => {
      writeFileSync(path.join(root, 'shared/.base.yaml.swp'), 'prompt: base v3\n');
      renameSync(path.join(root, 'shared/.base.yaml.swp'), path.join(root, 'shared/base.yaml'));
    })).toContain('connectors/base.yaml');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/base.yaml': 'prompt: base v4\n' }))).toContain('connectors/base.yaml');
    // A link made while watching (a promptFile linked out of connectors/) is followed as well.
    await next(() => symlinkSync('../../shared/p.hbs', path.join(root, 'connectors/team/p.prompt.hbs')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/p.hbs': 'v2' }))).toContain('connectors/team/p.prompt.hbs');
    // The target removed and made again (a checkout's unlink and create), or made after the link: both name the link.
    await next(() => rmSync(path.join(root, 'shared/base.yaml')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/base.yaml': 'prompt: base v5\n' }))).toContain('connectors/base.yaml');
    await next(() => symlinkSync('later.yaml', path.join(root, 'connectors/team/link.yaml')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'connectors/team/later.yaml': 'prompt: later\n' }))).toEqual(expect.arrayContaining(['connectors/team/later.yaml', 'connectors/team/link.yaml']));
    // A dangling link into directories not made yet (a checkout that brings them later): followed once they are.
    await next(() => symlinkSync('../vendor/agents/v.yaml', path.join(root, 'connectors/v.yaml')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'vendor/agents/v.yaml': 'prompt: v1\n' }))).toContain('connectors/v.yaml');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'vendor/agents/v.yaml': 'prompt: v2\n' }))).toEqual(['connectors/v.yaml']);
  });

  it('follows connectors/partials linked to a directory elsewhere, as the loader reads the partials through it', async () => {
    const { root, next } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'shared/partials/f.hbs': 'v1' }, 20, (r) => symlinkSync('../shared/partials', path.join(r, 'connectors/partials')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/partials/f.hbs': 'v2' }))).toContain('connectors/partials/f.hbs');
    expect(await next(() => writeFiles(root, { 'shared/partials/sub/g.hbs': 'v1' }))).toContain('connectors/partials/sub');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/partials/sub/g.hbs': 'v2' }))).toContain('connectors/partials/sub/g.hbs');
  });

  it('follows hub.yaml linked to a file elsewhere, linked before the start or after', async () => {
    const { root, next, close } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'shared/hub.yaml': 'resync: { interval: 1m }\n', 'shared/other.yaml': 'resync: { interval: 2m }\n' }, 20, (r) => symlinkSync('shared/hub.yaml', path.join(r, 'hub.yaml')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/hub.yaml': 'resync: { interval: 3m }\n' }))).toContain('hub.yaml');
    await next(() => {
      rmSync(path.join(root, 'hub.yaml'));
      symlinkSync('shared/other.yaml', path.join(root, 'hub.yaml'));
    });
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/other.yaml': 'resync: { interval: 4m }\n' }))).toContain('hub.yaml');
    await close();
  });

  it('follows a prompt directory outside connectors/ made after the call, and removed and made again, with no new call in between', async () => {
    const { root, next, follow } = watched({ 'connectors/a.yaml': 'promptFile: ../docs/prompts/p.hbs\n' });
    await settle(50);
    follow(['docs/prompts/p.hbs']); // as the daemon does after a pass: neither docs/ nor docs/prompts/ is there yet
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v1', 'docs/prompts/other.hbs': 'x' }))).toContain('docs/prompts/p.hbs');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v2' }))).toEqual(['docs/prompts/p.hbs']);
    // A checkout to a branch without it and back: the connector file does not change, so no pass calls follow() again.
    expect(await next(() => rmSync(path.join(root, 'docs/prompts'), { recursive: true }))).toContain('docs/prompts/p.hbs');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v3' }))).toContain('docs/prompts/p.hbs');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v4' }))).toEqual(['docs/prompts/p.hbs']);
  });

  it('keeps waiting for a directory whose nearest parent, watched meanwhile, is removed (a checkout away): followed once made again', async () => {
    const { root, next, follow } = watched({ 'connectors/a.yaml': 'promptFile: ../docs/prompts/p.hbs\n', 'docs/README.md': 'x', 'vendor/README.md': 'x' });
    symlinkSync('../vendor/agents/v.yaml', path.join(root, 'connectors/v.yaml')); // dangling: waited for from vendor/
    await settle(50);
    follow(['docs/prompts/p.hbs']); // waited for from docs/
    await settle(50);
    rmSync(path.join(root, 'docs'), { recursive: true });
    rmSync(path.join(root, 'vendor'), { recursive: true });
    await settle();
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v1' }))).toContain('docs/prompts/p.hbs');
    expect(await next(() => writeFiles(root, { 'vendor/agents/v.yaml': 'prompt: v1\n' }))).toContain('connectors/v.yaml');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v2' }))).toEqual(['docs/prompts/p.hbs']);
    expect(await next(() => writeFiles(root, { 'vendor/agents/v.yaml': 'prompt: v2\n' }))).toEqual(['connectors/v.yaml']);
  });

  it('follows a linked file\'s directory, or connectors/partials\' linked directory, removed and made again (a checkout away and back)', async () => {
    const { root, next } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'shared/base.yaml': 'prompt: base\n', 'lib/partials/f.hbs': 'v1' }, 20, (r) => {
      symlinkSync('../shared/base.yaml', path.join(r, 'connectors/base.yaml'));
      symlinkSync('../lib/partials', path.join(r, 'connectors/partials'));
    });
    await settle(50);
    expect(await next(() => rmSync(path.join(root, 'shared'), { recursive: true }))).toContain('connectors/base.yaml');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/base.yaml': 'prompt: base v2\n' }))).toContain('connectors/base.yaml');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'shared/base.yaml': 'prompt: base v3\n' }))).toEqual(['connectors/base.yaml']);
    await next(() => rmSync(path.join(root, 'lib/partials'), { recursive: true }));
    await settle(50);
    expect((await next(() => writeFiles(root, { 'lib/partials/f.hbs': 'v2' }))).some((p) => p.startsWith('connectors/partials'))).toBe(true);
    await settle(50);
    expect(await next(() => writeFiles(root, { 'lib/partials/f.hbs': 'v3' }))).toEqual(['connectors/partials/f.hbs']);
  });

  it('follows a prompt directory that is a symlink to a directory, re-pointed elsewhere (a checkout to a branch where it leads elsewhere)', async () => {
    const { root, next, follow } = watched({ 'connectors/a.yaml': 'promptFile: ../docs/prompts/p.hbs\n', 'docs/README.md': 'x', 'v1/p.hbs': 'a', 'v2/p.hbs': 'b' }, 20, (r) => symlinkSync('../v1', path.join(r, 'docs/prompts')));
    await settle(50);
    follow(['docs/prompts/p.hbs']);
    await settle(50);
    expect(await next(() => writeFiles(root, { 'v1/p.hbs': 'a2' }))).toEqual(['docs/prompts/p.hbs']);
    expect(await next(() => {
      rmSync(path.join(root, 'docs/prompts'));
      symlinkSync('../v2', path.join(root, 'docs/prompts'));
    })).toContain('docs/prompts/p.hbs');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'v2/p.hbs': 'b2' }))).toEqual(['docs/prompts/p.hbs']);
  });

  it('throws nowhere on links that loop or lead through a file (ELOOP, ENOTDIR), at the start or made while watching: their names give calls', async () => {
    const { root, next, follow } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'README.md': 'x', 'docs/README.md': 'x' }, 20, (r) => symlinkSync('loop.yaml', path.join(r, 'connectors/loop.yaml')));
    await settle(50);
    expect(await next(() => symlinkSync('../README.md/x.yaml', path.join(root, 'connectors/through-file.yaml')))).toContain('connectors/through-file.yaml');
    expect(await next(() => {
      symlinkSync('b.yaml', path.join(root, 'connectors/c.yaml'));
      symlinkSync('c.yaml', path.join(root, 'connectors/b.yaml'));
    })).toEqual(expect.arrayContaining(['connectors/b.yaml', 'connectors/c.yaml']));
    symlinkSync('prompts', path.join(root, 'docs/prompts'));
    follow(['docs/prompts/p.hbs', 'README.md/p.hbs']);
    // The loop replaced by a directory: followed like any.
    await next(() => {
      rmSync(path.join(root, 'docs/prompts'));
      mkdirSync(path.join(root, 'docs/prompts'));
    });
    await settle(50);
    expect(await next(() => writeFiles(root, { 'docs/prompts/p.hbs': 'v1' }))).toEqual(['docs/prompts/p.hbs']);
    expect(await next(() => writeFiles(root, { 'connectors/a.yaml': 'prompt: b\n' }))).toEqual(['connectors/a.yaml']);
  });

  it('follows directories another process removes and makes again while their watches are being set again: no gap between a look and its watch loses one', async () => {
    for (let round = 0; round < 5; round++) {
      const { root, next, follow } = watched({ 'connectors/a.yaml': 'prompt: a\n', 'docs/a/prompts/p.hbs': 'v0', 'shared/x/base.yaml': 'prompt: b\n' }, 20, (r) => symlinkSync('../shared/x/base.yaml', path.join(r, 'connectors/base.yaml')));
      follow(['docs/a/prompts/p.hbs']);
      await settle(50);
      // In another process, so the watcher's looks and watches interleave with the removals and mkdirs; it ends with both there.
      const churn = `const fs = require('fs'); for (let i = 0; i < ${10 + round * 13}; i++) for (const [top, deep] of [['docs', 'docs/a/prompts'], ['shared', 'shared/x']]) {
        fs.rmSync(${JSON.stringify(root)} + '/' + top, { recursive: true, force: true }); fs.mkdirSync(${JSON.stringify(root)} + '/' + deep, { recursive: true }); }`;
      await promisify(execFile)(process.execPath, ['-e', churn]);
      await settle(150);
      expect(await next(() => writeFiles(root, { 'docs/a/prompts/p.hbs': 'v1', 'shared/x/base.yaml': 'prompt: b1\n' }))).toEqual(expect.arrayContaining(['docs/a/prompts/p.hbs', 'connectors/base.yaml']));
    }
  });

  it('follows connectors/ itself linked to a directory elsewhere (the loader reads through it): re-pointed, or its directory removed and made again', async () => {
    const { root, next } = watched({ 'real1/a.yaml': 'prompt: a\n', 'real2/a.yaml': 'prompt: b\n' }, 20, (r) => symlinkSync('real1', path.join(r, 'connectors')));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'real1/a.yaml': 'prompt: a2\n' }))).toEqual(['connectors/a.yaml']);
    await next(() => {
      rmSync(path.join(root, 'connectors'));
      symlinkSync('real2', path.join(root, 'connectors'));
    });
    await settle(50);
    expect(await next(() => writeFiles(root, { 'real2/a.yaml': 'prompt: b2\n' }))).toEqual(['connectors/a.yaml']);
    await next(() => rmSync(path.join(root, 'real2'), { recursive: true }));
    await settle(50);
    expect(await next(() => writeFiles(root, { 'real2/a.yaml': 'prompt: b3\n' }))).toContain('connectors');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'real2/a.yaml': 'prompt: b4\n' }))).toEqual(['connectors/a.yaml']);
  });

  it('follows a prompt directory below a symlink to a directory (docs -> v1, then docs/prompts), the link re-pointed elsewhere', async () => {
    const { root, next, follow } = watched({ 'connectors/a.yaml': 'promptFile: ../docs/prompts/p.hbs\n', 'v1/prompts/p.hbs': 'a', 'v2/prompts/p.hbs': 'b' }, 20, (r) => symlinkSync('v1', path.join(r, 'docs')));
    await settle(50);
    follow(['docs/prompts/p.hbs']);
    await settle(50);
    expect(await next(() => writeFiles(root, { 'v1/prompts/p.hbs': 'a2' }))).toEqual(['docs/prompts/p.hbs']);
    expect(await next(() => {
      rmSync(path.join(root, 'docs'));
      symlinkSync('v2', path.join(root, 'docs'));
    })).toContain('docs/prompts/p.hbs');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'v2/prompts/p.hbs': 'b2' }))).toEqual(['docs/prompts/p.hbs']);
    // The link removed (a checkout to a branch without it): the file is gone, which is a change too.
    expect(await next(() => rmSync(path.join(root, 'docs')))).toContain('docs/prompts/p.hbs');
  });

  it('calls within a second of an edit while a tool writes in connectors/ without a pause (each event puts the call off, but not for ever)', async () => {
    const { root, calls } = watched({ 'connectors/a.yaml': 'prompt: a\n' });
    await settle(50);
    const stream = setInterval(() => writeFileSync(path.join(root, 'connectors/.tool.log'), String(Date.now())), 5);
    onTestFinished(() => clearInterval(stream));
    await settle(50);
    writeFiles(root, { 'connectors/a.yaml': 'prompt: b\n' });
    await eventually(() => expect(calls.flat()).toContain('connectors/a.yaml'), 1000, 5);
    // No quiet time asked for: each burst is called at once all the same.
    const quick = watched({ 'connectors/a.yaml': 'prompt: a\n' }, 0);
    await settle(50);
    expect(await quick.next(() => writeFiles(quick.root, { 'connectors/a.yaml': 'prompt: b\n' }))).toEqual(['connectors/a.yaml']);
  });

  it('watches, at a rescan (the resync), a directory whose creation the kernel dropped when its event queue overflowed', async () => {
    const { root, calls, next, rescan } = watched({ 'connectors/a.yaml': 'prompt: a\n' });
    await settle(50);
    // A checkout writing more files than the kernel queues events for (fs.inotify.max_queued_events) while the event loop is busy, then a new directory.
    const queued = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
    await next(() => {
      for (let i = 0; i < queued + 4000; i++) writeFileSync(path.join(root, `connectors/f-${i}.yaml`), 'prompt: x\n');
      mkdirSync(path.join(root, 'connectors/late'));
    });
    await settle(100);
    const before = calls.length;
    writeFiles(root, { 'connectors/late/l.yaml': 'prompt: late\n' });
    await settle(300);
    expect(calls.slice(before)).toEqual([]); // lost: no watch was set on connectors/late
    expect(await next(() => rescan())).toContain('connectors/late');
    await settle(50);
    expect(await next(() => writeFiles(root, { 'connectors/late/l.yaml': 'prompt: later\n' }))).toEqual(['connectors/late/l.yaml']);
  }, 30_000);

  it('makes no call once closed', async () => {
    const { root, calls, close } = watched({ 'connectors/a.yaml': 'prompt: a\n' });
    await settle(50);
    await close();
    const n = calls.length;
    writeFiles(root, { 'connectors/a.yaml': 'prompt: b\n' });
    await settle();
    expect(calls).toHaveLength(n);
  });
});
