import { onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import type { Execution } from '../../src/registry/executions.js';
import { testdir, type Files } from './repo.js';
import { fakeClaudeEnv } from './fake-agent.js';

/** A started hub on a temp repo with these connectors, the fake claude on PATH; stopped when the test ends. */
export async function hubWith(files: Files, extraEnv: Record<string, string> = {}, killGraceMs = 300) {
  const root = testdir(files);
  const fake = fakeClaudeEnv(extraEnv);
  const hub = new Hub({ repo: root, env: fake.env, killGraceMs });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* already stopped */ }
  });
  await hub.start();
  return { root, hub, fake };
}

/** Runs a connector now and resolves with its last attempt. */
export async function runOnce(hub: Hub, id: string, inputs: Record<string, unknown> = {}): Promise<Execution> {
  const r = hub.run(id, inputs);
  if (r.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(r)}`);
  return hub.executor.waitFinal(r.id);
}
