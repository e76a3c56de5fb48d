import { describe, expect, it, onTestFinished } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';

const CHROMIUM = '/usr/bin/chromium';
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

// .ci/run installs Debian's chromium when it is missing; a machine without it skips this one test.
describe.skipIf(!existsSync(CHROMIUM))('dashboard in headless Chromium', () => {
  it('shows connectors with schedules and errors, recent runs, and a run\'s detail', async () => {
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'connectors/digest.yaml': yaml({ name: 'Daily digest', prompt: 'Summarise <today> & tomorrow', schedule: '0 9 * * 1-5', timezone: 'Europe/Paris' }),
      'connectors/broken.yaml': 'prompt: hi\nschedule: "61 * * * *"\n',
    });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const run = await d.api<{ id: string }>('/api/connectors/digest/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('success'), 5000);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    onTestFinished(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${d.url}/`);
    const row = page.locator('tr[data-connector="digest"]');
    await expect(row.textContent()).resolves.toContain('At 09:00, Monday through Friday (Europe/Paris)');
    expect(await row.locator('td').nth(1).textContent()).toBe('active');
    expect(await page.locator('#invalid').textContent()).toContain('connectors/broken.yaml:2:11: error: schedule: "61 * * * *" is not a valid schedule');
    const runRow = page.locator(`tr[data-run="${run.body.id}"]`);
    expect(await runRow.textContent()).toContain('success');

    await page.selectOption('select[name=status]', 'failed');
    await page.click('button');
    await expect(page.locator(`tr[data-run="${run.body.id}"]`).count()).resolves.toBe(0);

    await page.goto(`${d.url}/runs/${run.body.id}`);
    expect(await page.locator('#prompt').textContent()).toBe('Summarise <today> & tomorrow');
    expect(await page.locator('#result').textContent()).toBe('Done: Summarise <today> & tomorrow');
    expect(await page.locator('#run').textContent()).toContain('$0.0012');
    d.proc.kill('SIGTERM');
    await d.exited;
  });
});
