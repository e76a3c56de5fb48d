import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDb } from '../../src/registry/db.js';
import { putExecution, type Execution } from '../../src/registry/executions.js';
import { COST_SAMPLE, medianCosts } from '../../src/registry/costs.js';
import { testdir } from '../helpers/repo.js';

let n = 0;
function run(connectorId: string, costUsd: number | null, fields: Partial<Execution> = {}): Execution {
  const at = new Date(Date.UTC(2026, 10, 1) + n++ * 60_000).toISOString();
  return {
    id: `r${String(n).padStart(4, '0')}`, connectorId, status: 'success', trigger: 'schedule', attempt: 1, parentId: null, specHash: 'h', gitCommit: null,
    scheduledFor: null, inputs: {}, renderedPrompt: 'Hi', argv: null, result: 'done', savedTo: null, transcript: null, outputTruncated: false, costUsd, usage: null, sessionId: null,
    numTurns: 1, durationMs: 1, exitCode: 0, errorKind: null, error: null, validationErrors: null, permissionDenials: null, createdAt: at,
    notBefore: null, startedAt: at, finishedAt: at, ...fields,
  };
}

describe('median cost per run', () => {
  it('takes finished runs with a cost, sums a run\'s retries, and counts the newest runs only', () => {
    const db = openDb(path.join(testdir(), 'hub.db'));
    for (const id of ['a', 'b']) db.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at) VALUES (?, ?, 'Hi', '2026-01-01', '2026-01-01')").run(id, id);
    for (const cost of [0.1, 0.5, 0.2]) putExecution(db, run('a', cost));
    putExecution(db, run('a', null)); // no cost recorded: not counted
    putExecution(db, run('a', 9, { status: 'running' })); // not finished
    const first = run('a', 0.3, { status: 'failed' });
    putExecution(db, first);
    putExecution(db, run('a', 0.4, { trigger: 'retry', attempt: 2, parentId: first.id })); // with its retry, that run cost 0.7
    putExecution(db, run('b', 1));
    putExecution(db, run('b', 2));
    expect(medianCosts(db, ['a', 'b', 'none'])).toEqual(new Map([
      ['a', { medianUsd: 0.35, runs: 4 }], // 0.1, 0.2, 0.5, 0.7
      ['b', { medianUsd: 1.5, runs: 2 }],
    ]));
    for (let i = 0; i < COST_SAMPLE; i++) putExecution(db, run('a', 2));
    expect(medianCosts(db, ['a']).get('a')).toEqual({ medianUsd: 2, runs: COST_SAMPLE });
    db.close();
  });
});
