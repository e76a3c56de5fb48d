import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { getConnector } from '../../src/registry/connectors.js';
import { ReconcileQueue } from '../../src/reconcile/queue.js';
import { connector, testdir, writeFiles, type Files } from '../helpers/repo.js';

async function startedHub(files: Files) {
  const root = testdir(files);
  const lines: Array<Record<string, unknown>> = [];
  const keep = (obj: object, msg?: string) => lines.push({ ...obj, msg });
  const hub = new Hub({ repo: root, log: { debug: keep, info: keep, warn: keep, error: keep } });
  onTestFinished(() => hub.stop(0).catch(() => undefined));
  await hub.start({ commitLoop: false });
  return { root, hub, lines };
}

describe('an edit made while a reconcile pass runs', () => {
  it('is applied by one more pass, without waiting for another trigger', async () => {
    const files: Files = { 'connectors/a.yaml': connector({ prompt: 'a v1' }) };
    for (let i = 0; i < 40; i++) files[`connectors/z-${i}.yaml`] = connector({ prompt: `z ${i} v1` });
    const { root, hub } = await startedHub(files);

    // A pass that has work to do: it reads a.yaml first (files are read in name order), then the others.
    const edits: Files = {};
    for (let i = 0; i < 40; i++) edits[`connectors/z-${i}.yaml`] = connector({ prompt: `z ${i} v2` });
    writeFiles(root, edits);
    const first = hub.reconcile('files');
    // While it runs, a.yaml is saved and its file event arrives.
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'a v2' }) });
    const second = hub.reconcile('files');
    await first;
    const result = await second;

    expect(getConnector(hub.db, 'a')?.version.template).toBe('a v2');
    expect(getConnector(hub.db, 'z-39')?.version.template).toBe('z 39 v2');
    expect(result.plan.actions.find((x) => x.id === 'a')?.kind).toBe('update');
  });

  it('every trigger (start, files, API, SIGHUP, pull) is logged the same way, with what started it', async () => {
    const { root, hub, lines } = await startedHub({ 'connectors/a.yaml': connector({ prompt: 'a v1' }) });
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'a v2' }) });
    await hub.reconcile('SIGHUP');
    const logged = lines.filter((l) => String(l.msg).startsWith('reconciled'));
    expect(logged.map((l) => [l.trigger, l.msg])).toEqual([['start', 'reconciled: 1 to create, 0 to change, 0 to remove, 0 unchanged, 0 invalid'], ['SIGHUP', 'reconciled: 0 to create, 1 to change, 0 to remove, 0 unchanged, 0 invalid']]);
  });
});

describe('ReconcileQueue', () => {
  /** A pass that waits until released, recording the triggers it served. */
  function gatedPasses() {
    const passes: Array<{ triggers: string[]; changed: string[] | undefined; release: () => void }> = [];
    const queue = new ReconcileQueue(async (triggers: string[], changed?: string[]) => {
      await new Promise<void>((release) => passes.push({ triggers, changed, release }));
      return passes.length;
    });
    const flush = () => new Promise((r) => setImmediate(r));
    return { passes, queue, flush };
  }

  it('requests during a pass make exactly one more pass, which serves them all', async () => {
    const { passes, queue, flush } = gatedPasses();
    const a = queue.request('files');
    await flush();
    expect(passes.map((p) => p.triggers)).toEqual([['files']]);
    const b = queue.request('api');
    const c = queue.request('files');
    const d = queue.request('SIGHUP');
    await flush();
    expect(passes).toHaveLength(1); // never two passes at once
    passes[0]?.release();
    expect(await a).toBe(1);
    await flush();
    expect(passes.map((p) => p.triggers)).toEqual([['files'], ['api', 'files', 'SIGHUP']]);
    passes[1]?.release();
    // Each caller gets the result of a pass that started after its request.
    expect(await Promise.all([b, c, d])).toEqual([2, 2, 2]);
    await flush();
    expect(passes).toHaveLength(2); // and nothing more once the queue is clean
  });

  it('a pass gets the paths its file events named, merged; any request without paths makes it a full pass', async () => {
    const { passes, queue, flush } = gatedPasses();
    const a = queue.request('files', ['connectors/a.yaml']);
    await flush();
    const b = queue.request('files', ['connectors/b.yaml']);
    const c = queue.request('files', ['connectors/a.yaml', 'connectors/c.yaml']);
    passes[0]?.release();
    await a;
    await flush();
    const d = queue.request('files', ['connectors/d.yaml']);
    const e = queue.request('resync');
    passes[1]?.release();
    await Promise.all([b, c]);
    await flush();
    passes[2]?.release();
    await Promise.all([d, e]);
    expect(passes.map((p) => p.changed)).toEqual([['connectors/a.yaml'], ['connectors/b.yaml', 'connectors/a.yaml', 'connectors/c.yaml'], undefined]);
  });

  it('a failed pass fails its callers only; the next request runs a fresh pass', async () => {
    let calls = 0;
    const queue = new ReconcileQueue(async () => {
      calls++;
      if (calls === 1) throw new Error('disk on fire');
      return calls;
    });
    await expect(queue.request('files')).rejects.toThrow('disk on fire');
    expect(await queue.request('api')).toBe(2);
  });
});
