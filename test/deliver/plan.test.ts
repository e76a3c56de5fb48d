import { describe, expect, it } from 'vitest';
import { cutBody, planDeliveries, type FinishedRun } from '../../src/deliver/plan.js';
import type { ConnectorSpec } from '../../src/core/types.js';
import type { Delivery } from '../../src/core/events.js';

// Which deliveries a finished run owes, and with what: plain data in and out.
function run(deliver: Delivery[], finish: FinishedRun['finish'], extra: Partial<ConnectorSpec> = {}, event?: FinishedRun['event']): FinishedRun {
  const spec: ConnectorSpec = {
    id: 'c', enabled: true, inputs: {}, prompt: 'p', agent: { type: 'claude', env: {}, timeout: '5m' }, output: { format: 'text' },
    retry: { attempts: 1, backoff: { initial: '10s', max: '5m', factor: 2 } }, concurrency: 'forbid', budget: {}, deliver, ...extra,
  };
  return { id: 'r1', version: { spec, sourcePath: 'connectors/c.yaml', template: 'p', partials: {} }, inputs: {}, trigger: 'event', attempt: 1, scheduledFor: null, finish, ...(event ? { event } : {}) };
}
const ok = (result: string) => ({ status: 'success' as const, finishedAt: new Date(), result });
const failed = { status: 'failed' as const, finishedAt: new Date(), errorKind: 'timeout' as const, error: 'took too long' };
const hook = (when?: Delivery['when']): Delivery => ({ type: 'webhook', url: 'http://x/y', slack: true, ...(when ? { when } : {}) });

describe('planDeliveries', () => {
  it('follows when: success by default, failure, always', () => {
    const d = [hook(), hook('failure'), hook('always')];
    expect(planDeliveries(run(d, ok('fine'))).map((p) => p.payload.index)).toEqual([0, 2]);
    const onFailure = planDeliveries(run(d, failed));
    expect(onFailure.map((p) => p.payload.index)).toEqual([1, 2]);
    expect(onFailure[0]?.payload.body).toEqual({ text: 'Run r1 of c failed (timeout): took too long' });
  });

  it('takes title, body and labels from a JSON result with fromResult', () => {
    const planned = planDeliveries(run([{ type: 'github-issue', repository: 'a/b', fromResult: true }], ok('{"title":"T","body":"B","labels":["x",3]}'), { output: { format: 'json' } }));
    expect(planned[0]?.payload).toMatchObject({ title: 'T', body: expect.stringMatching(/^B\n\n<!-- agent-hub:c issue -->$/), labels: ['x'] });
  });

  it('addresses a comment from the event, or records why it cannot', () => {
    const event = { source: 'github' as const, name: 'pull_request', action: 'opened', deliveryId: 'd', payload: { number: 8, pull_request: { number: 8 }, repository: { full_name: 'a/b' } } };
    expect(planDeliveries(run([{ type: 'github-comment' }], ok('x'), {}, event))[0]).toMatchObject({ target: 'a/b#8', payload: { deliveryId: 'd' } });
    expect(planDeliveries(run([{ type: 'github-comment' }], ok('x')))[0]?.payload.error).toBe('no repository: the event had none and the delivery names none');
  });

  it('takes the repository and issue only from a GitHub event: a webhook caller cannot point the hub\'s token elsewhere', () => {
    const payload = { issue: { number: 3 }, repository: { full_name: 'victim/repo' } };
    const webhook = { source: 'webhook' as const, name: 'webhook', action: null, deliveryId: 'k', payload };
    expect(planDeliveries(run([{ type: 'github-comment' }], ok('x'), {}, webhook))[0]?.payload.error).toMatch(/^no repository: a webhook's payload does not name one/);
    expect(planDeliveries(run([{ type: 'github-issue' }], ok('x'), {}, webhook))[0]?.payload.error).toMatch(/^no repository/);
    // Named by the connector, the target is the connector's.
    expect(planDeliveries(run([{ type: 'github-comment', repository: 'acme/ops', number: 1 }], ok('x'), {}, webhook))[0]?.target).toBe('acme/ops#1');
    // A name that would change the API path (…/repos/../../user/…) is refused, even from GitHub.
    const traversal = { ...webhook, source: 'github' as const, payload: { issue: { number: 3 }, repository: { full_name: '../../user/keys?' } } };
    expect(planDeliveries(run([{ type: 'github-comment' }], ok('x'), {}, traversal))[0]?.payload.error).toMatch(/^no repository/);
    expect(planDeliveries(run([{ type: 'github-comment', repository: '../..', number: 1 }], ok('x')))[0]?.payload.error).toBe('repository "../.." is not owner/name');
  });

  it('posts an agent\'s text to Slack as text: no @channel, no mentions, no links under another label', () => {
    const text = 'Done <!channel> <@U0123> <https://evil.example/login|Reset your password> & https://ok.example';
    const [p] = planDeliveries(run([hook()], ok(text)));
    expect(p?.payload.body).toEqual({ text: 'Done &lt;!channel&gt; &lt;@U0123&gt; &lt;https://evil.example/login|Reset your password&gt; &amp; https://ok.example' });
  });

  it('cuts a body to its limit on a character boundary, saying so', () => {
    const cut = cutBody('é'.repeat(100), 120);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(120);
    expect(cut).toMatch(/^é+\n\n…\[cut by agent-hub: 200 bytes, limit 120\]$/);
    expect(cutBody('short', 120)).toBe('short');
  });
});
