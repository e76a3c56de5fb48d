import { describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';

const CHROMIUM = '/usr/bin/chromium';
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
/** Screenshots for people to look at (gitignored). */
const SHOTS = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));
const TOKEN = 'dashboard-test-token-0123456789';

const WORK = [
  '@fake say Let me look at what changed.',
  '@fake tool Bash {"command":"git log --oneline -5","description":"recent commits"}',
  '@fake tool Read {"file_path":"/srv/repo/CHANGELOG.md"}',
  '@fake deny Write',
  '@fake tool Write {"file_path":"/srv/repo/NOTES.md","content":"notes"}',
  '@fake result ## Digest\\n\\n- **3** commits\\n- [PR 12](https://example.com/pr/12) merged\\n\\n<script>alert(1)</script>',
].join('\n');

async function browse(): Promise<Page> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  onTestFinished(() => browser.close());
  const context = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US', viewport: { width: 1280, height: 900 } });
  return context.newPage();
}

const shot = async (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
};

describe.skipIf(!existsSync(CHROMIUM))('dashboard pages in headless Chromium', () => {
  it('a connector page, a run page with its transcript, a live run, run now with inputs, pause and resume', async () => {
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'connectors/digest.yaml': yaml({
        name: 'Daily digest', description: 'What changed in the repository yesterday.', schedule: '0 9 * * 1-5', timezone: 'Europe/Paris',
        inputs: { topic: { type: 'string', default: 'git', description: 'what to summarise' }, days: { type: 'integer', default: 1 } },
        prompt: `Digest about {{inputs.topic}} over {{inputs.days}} days\n${WORK}`,
      }),
      'connectors/slow.yaml': yaml({ name: 'Slow one', prompt: `Slow\n@fake pause 0.5\n${WORK}` }),
    });
    const d = await startDaemon(root, { ...fakeClaudeEnv().env, AGENT_HUB_TOKEN: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const first = await d.api<{ id: string }>('/api/connectors/digest/run', { method: 'POST', headers: auth });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${first.body.id}`, { headers: auth })).body.status).toBe('success'), 5000);

    const page = await browse();
    // The connector page: description, schedule in words, next five runs in the viewer's zone, version, charts, runs.
    await page.goto(`${d.url}/connectors/digest`);
    expect(await page.locator('#description').textContent()).toBe('What changed in the repository yesterday.');
    expect(await page.locator('#schedule').textContent()).toContain('At 09:00, Monday through Friday (Europe/Paris)');
    const next = await page.locator('#next-runs li time').allTextContents();
    expect(next).toHaveLength(5);
    // 09:00 in Paris is 03:00 or 04:00 in New York (the viewer's zone), shown with a 12-hour clock in en-US.
    for (const t of next) expect(t).toMatch(/\b[34]:00:00\sAM$/);
    expect(await page.locator('#version').textContent()).toContain('connectors/digest.yaml');
    expect(await page.locator('#success-chart').textContent()).toContain('100% of 1 runs');
    expect(await page.locator('#cost-chart rect').count()).toBe(30);
    expect(await page.locator(`#runs tr[data-run="${first.body.id}"]`).textContent()).toContain('success');
    await shot(page, 'connector');

    // The run page: result as sanitised Markdown, the transcript as collapsible steps.
    await page.goto(`${d.url}/runs/${first.body.id}`);
    expect(await page.locator('#result-md h2').textContent()).toBe('Digest');
    expect(await page.locator('#result-md a').getAttribute('href')).toBe('https://example.com/pr/12');
    expect(await page.locator('#result-md script').count()).toBe(0);
    expect(await page.locator('#result-md').textContent()).toContain('<script>alert(1)</script>');
    const steps = page.locator('#transcript details');
    expect(await steps.locator('summary').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Bash git log --oneline -5'), expect.stringContaining('denied Write /srv/repo/NOTES.md')]));
    const bash = steps.filter({ hasText: 'Bash git log' });
    expect(await bash.locator('pre').isVisible()).toBe(false);
    await bash.locator('summary').click();
    expect(await bash.locator('pre').textContent()).toContain('"description": "recent commits"');
    expect(await page.locator('#cost').textContent()).toContain('$0.0012');
    await shot(page, 'run');

    // Run now with inputs, from the form built from the connector's inputs (token asked for, sent as Bearer).
    await page.goto(`${d.url}/connectors/digest`);
    await page.fill('#run-now input[data-input=topic]', 'releases');
    await page.fill('#run-now input[data-input=days]', '7');
    await page.fill('#run-now input[name=token]', TOKEN);
    await page.click('#run-now button');
    await page.waitForURL(/\/runs\/[\w-]+$/);
    const ranId = page.url().split('/').at(-1) as string;
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${ranId}`, { headers: auth })).body.status).toBe('success'), 5000);
    const ran = await d.api<{ inputs: unknown; renderedPrompt: string; trigger: string }>(`/api/executions/${ranId}`, { headers: auth });
    expect(ran.body).toMatchObject({ inputs: { topic: 'releases', days: 7 }, trigger: 'api' });
    expect(ran.body.renderedPrompt).toMatch(/^Digest about releases over 7 days/);

    // The live view: a running run's steps arrive while it runs, then the page shows its end.
    const slow = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST', headers: auth });
    await page.goto(`${d.url}/runs/${slow.body.id}`);
    await page.locator('#transcript summary', { hasText: 'Read /srv/repo/CHANGELOG.md' }).waitFor({ timeout: 10_000 });
    expect((await d.api<{ status: string }>(`/api/executions/${slow.body.id}`, { headers: auth })).body.status).toBe('running');
    await shot(page, 'run-live');
    await page.locator('#status.success').waitFor({ timeout: 10_000 });
    expect(await page.locator('#transcript summary', { hasText: 'end success' }).count()).toBe(1);

    // Pause from the dashboard: shown as a drift with who and when; a run request is refused; resume.
    await page.goto(`${d.url}/connectors/digest`);
    await page.fill('#pause input[data-field=reason]', 'spamming the channel');
    await page.click('#pause button');
    await page.locator('#paused').waitFor();
    expect(await page.locator('#paused').textContent()).toMatch(/Paused by dashboard at .*: spamming the channel\. This drifts from git/);
    const refused = await d.api<{ reason: string }>('/api/connectors/digest/run', { method: 'POST', headers: auth });
    expect(refused).toMatchObject({ status: 409, body: { reason: 'paused' } });
    await page.goto(`${d.url}/`);
    expect(await page.locator('tr[data-connector="digest"]').textContent()).toContain('paused by dashboard');
    // Two digest runs so far (the refused request is none) at $0.0012 each: today's column and the week's total.
    expect(await page.locator('tr[data-cost="digest"] td').allTextContents()).toEqual(['digest', '', '', '', '', '', '', '$0.0024', '$0.0024']);
    await shot(page, 'home-paused');
    await page.goto(`${d.url}/connectors/digest`);
    await page.click('#resume button');
    await page.locator('#pause').waitFor();
    expect(await page.locator('#paused').count()).toBe(0);

    // Without the token the form is refused like the API.
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${d.url}/connectors/digest`);
    await page.fill('#run-now input[name=token]', 'wrong');
    await page.click('#run-now button');
    await eventually(async () => expect(await page.locator('#run-now .form-result').textContent()).toContain('401'), 5000);
    d.proc.kill('SIGTERM');
    await d.exited;
  }, 60_000);
});
