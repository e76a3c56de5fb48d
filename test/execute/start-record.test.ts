import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { testdir } from '../helpers/repo.js';

/** What the row held at the moment it turned running, noted by a trigger (as another reader would see it). */
function noteStarts(hub: Hub): () => Array<{ id: string; agent_process: string | null; argv: string | null }> {
  hub.db.exec(`CREATE TEMP TABLE starts (id TEXT, agent_process TEXT, argv TEXT);
    CREATE TEMP TRIGGER note_start AFTER UPDATE OF status ON executions WHEN NEW.status = 'running' AND OLD.status <> 'running'
    BEGIN INSERT INTO starts VALUES (NEW.id, NEW.agent_process, NEW.argv); END;`);
  return () => hub.db.prepare('SELECT id, agent_process, argv FROM starts').all() as Array<{ id: string; agent_process: string | null; argv: string | null }>;
}

describe('the start of a run, as recorded', () => {
  it('a run is marked running with what finds its agent again, in the same write (no moment without it)', async () => {
    const root = testdir({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x', agent: { type: 'command', command: ['true'] } }) });
    const hub = new Hub({ repo: root, env: { PATH: process.env.PATH } });
    await hub.start();
    onTestFinished(() => hub.stop(0));
    const starts = noteStarts(hub);
    const r = hub.run('a') as { id: string };
    expect(await hub.executor.wait(r.id)).toMatchObject({ status: 'success', argv: ['true'] });
    const [start] = starts();
    expect(start?.id).toBe(r.id);
    expect(JSON.parse(start?.agent_process ?? 'null')).toMatchObject({ pid: expect.any(Number), hub: { pid: process.pid } });
    expect(JSON.parse(start?.argv ?? 'null')).toEqual(['true']);
  });

  it('an agent that cannot be spawned is still recorded as started, with its argv', async () => {
    const root = testdir({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x', agent: { type: 'command', command: ['/nonexistent/agent-hub-no-such-program'] } }) });
    const hub = new Hub({ repo: root, env: { PATH: process.env.PATH } });
    await hub.start();
    onTestFinished(() => hub.stop(0));
    const starts = noteStarts(hub);
    const r = hub.run('a') as { id: string };
    expect(await hub.executor.wait(r.id)).toMatchObject({ status: 'failed', errorKind: 'spawn-error', argv: ['/nonexistent/agent-hub-no-such-program'] });
    expect(starts()).toEqual([{ id: r.id, agent_process: null, argv: '["/nonexistent/agent-hub-no-such-program"]' }]);
  });
});
