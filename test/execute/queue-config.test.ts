// hub.yaml's queue and the worker's flags: what a user gets wrong is said clearly.
import { describe, expect, it } from 'vitest';
import { parseHubConfig } from '../../src/spec/hub-config.js';
import { queueTarget, safeUrl } from '../../src/execute/queue/connection.js';
import { cli } from '../helpers/cli.js';

const parse = (text: string) => parseHubConfig(new TextEncoder().encode(text));

describe('hub.yaml queue', () => {
  it('local is the default; bullmq takes a redis:// or rediss:// URL and a prefix', () => {
    expect(parse('concurrency: 2\n').config.queue).toBeUndefined();
    expect(parse('queue: { type: local }\n').diagnostics).toEqual([]);
    expect(parse('queue:\n  type: bullmq\n  url: rediss://:${REDIS_PASSWORD}@redis.internal:6380\n  prefix: team-a\n')).toMatchObject({
      diagnostics: [], config: { queue: { type: 'bullmq', url: 'rediss://:${REDIS_PASSWORD}@redis.internal:6380', prefix: 'team-a' } },
    });
    expect(parse('queue: { type: bullmq, url: "${REDIS_URL}" }\n').diagnostics).toEqual([]);
  });

  it('says what is wrong, where, and what to write', () => {
    expect(parse('concurrency: 2\nqueue:\n  type: bullmq\n').diagnostics).toMatchObject([{
      file: 'hub.yaml', line: 3, path: 'queue', message: 'queue type bullmq needs a url', hint: expect.stringContaining('url: redis://host:6379'),
    }]);
    expect(parse('queue:\n  type: bullmq\n  url: http://redis:6379\n').diagnostics).toMatchObject([{ line: 3, path: 'queue.url', message: '"http://redis:6379" is not a Redis URL' }]);
    expect(parse('queue:\n  type: local\n  url: redis://x:6379\n').diagnostics).toMatchObject([{ line: 3, path: 'queue.url', message: 'queue.url is only read with type: bullmq' }]);
    expect(parse('queue: { type: rabbit }\n').diagnostics[0]?.path).toBe('queue.type');
    expect(parse('queue: { type: bullmq, url: "redis://x", prefix: "a b" }\n').diagnostics[0]?.path).toBe('queue.prefix');
  });

  it('${NAME} in the URL comes from the hub\'s environment; a missing one is named; logs never show the password', () => {
    expect(queueTarget({ type: 'bullmq', url: 'redis://:${PW}@h:6379' }, { PW: 'p@ss/word' })).toEqual({ url: 'redis://:p%40ss%2Fword@h:6379', prefix: 'agent-hub' });
    expect(queueTarget({ type: 'bullmq', url: '${URL}', prefix: 'p' }, { URL: 'rediss://u:pw@h:6380' })).toEqual({ url: 'rediss://u:pw@h:6380', prefix: 'p' });
    expect(() => queueTarget({ type: 'bullmq', url: 'redis://:${PW}@h' }, {})).toThrow('queue.url refers to ${PW}, not set in the hub\'s environment');
    expect(safeUrl('redis://:secret@h:6379')).toBe('redis://:***@h:6379');
    expect(safeUrl('rediss://user:secret@h:6380/2')).toBe('rediss://user:***@h:6380/2');
    expect(safeUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});

describe('agent-hub worker flags', () => {
  it('refuses what it cannot run with, saying what to give (exit 2)', async () => {
    expect(await cli(['worker'], { env: { AGENT_HUB_QUEUE_URL: '' } })).toMatchObject({ code: 2, stderr: expect.stringContaining('--queue redis://host:6379 is required') });
    expect(await cli(['worker', '--queue', 'http://x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--queue expects redis://host:port') });
    expect(await cli(['worker', '--queue', 'redis://127.0.0.1:6379', '--agents', 'claude,gpt'])).toMatchObject({ code: 2, stderr: expect.stringContaining('(not known: gpt)') });
    expect(await cli(['worker', '--queue', 'redis://127.0.0.1:6379', '--concurrency', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--concurrency must be a whole number') });
  });
});

describe('changing queue while the hub runs', () => {
  it('takes effect at the next start, and the hub says so', async () => {
    const { hubWith } = await import('../helpers/hub.js');
    const { writeFiles } = await import('../helpers/repo.js');
    const { root, hub } = await hubWith({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x' }) });
    writeFiles(root, { 'hub.yaml': 'queue: { type: bullmq, url: "redis://127.0.0.1:6379" }\n' });
    expect(hub.reloadConfig()).toEqual({ applied: true, restartNeeded: ['queue'] });
    expect(hub.executor.backend.queueView).toBeUndefined(); // still the local backend
  });
});
