import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { connector, git, gitdir, testdir, writeFiles } from '../helpers/repo.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(REPO, 'bin/agent-hub.js');
const PACKAGE = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).name as string;
const MARKER = '<!-- agent-hub-plan -->';

/**
 * A CI machine: `agent-hub` (this build), and fake `gh` and `curl` that log their arguments and
 * answer with what the test set (the comment id found, the notes listed).
 */
function ciMachine(): { bin: string; log: string; calls: () => string[] } {
  const bin = testdir({
    'agent-hub': `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
    gh: '#!/bin/sh\necho "gh $*" >> "$FAKE_LOG"\ncase "$*" in *--jq*) [ -n "$FAKE_COMMENT_ID" ] && echo "$FAKE_COMMENT_ID" ;; esac\nexit 0\n',
    curl: '#!/bin/sh\necho "curl $*" >> "$FAKE_LOG"\ncase "$*" in *--request*) ;; *) printf "%s" "$FAKE_NOTES" ;; esac\nexit 0\n',
  });
  for (const f of ['agent-hub', 'gh', 'curl']) chmodSync(path.join(bin, f), 0o755);
  const log = path.join(bin, 'calls.log');
  return { bin, log, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

/**
 * The pull request: `main` with a daily connector in the default permission mode, and a clone
 * (what CI checks out) on a branch that switches it to bypassPermissions and runs it hourly.
 */
function pullRequest(): string {
  const origin = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/digest.yaml': connector({ schedule: '0 9 * * *', agent: { permissionMode: 'default' }, prompt: 'Summarise the day.' }) });
  const clone = path.join(testdir(), 'checkout');
  execFileSync('git', ['clone', '--quiet', origin, clone]);
  git(clone, 'checkout', '-qb', 'feature');
  writeFiles(clone, { 'connectors/digest.yaml': connector({ schedule: '0 * * * *', agent: { permissionMode: 'bypassPermissions' }, prompt: 'Summarise the hour.' }) });
  git(clone, 'commit', '-qam', 'digest: hourly, no prompts');
  return clone;
}

/** Runs a CI script with bash as the runners do (`-e`), with this machine's tools first on PATH. */
function sh(script: string, cwd: string, env: Record<string, string>): void {
  execFileSync('bash', ['-e', '-c', script], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function expectReviewable(plan: string): void {
  expect(plan.startsWith(`${MARKER}\n### agent-hub plan: 0 to create, 1 to change`)).toBe(true);
  expect(plan).toContain('compared with `origin/main` · **⚠️ 2 risky changes**');
  expect(plan).toContain('#### ⚠️ Risky changes\n\n- `digest`: permission mode loosened: default → bypassPermissions\n- `digest`: schedule frequency up 24×: 1/day → 24/day\n');
  expect(plan).toContain('| schedule | At 09:00 (UTC), 1/day | Every hour (UTC), 24/day |');
  expect(plan).toContain('| agent.permissionMode | default | bypassPermissions |');
  expect(plan).toContain('-Summarise the day.\n+Summarise the hour.');
}

describe('examples/ci', () => {
  it('the GitHub Actions workflow validates, plans against the base branch and posts one comment, updated later', () => {
    const workflow = parse(readFileSync(path.join(REPO, 'examples/ci/github-actions.yml'), 'utf8'));
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    const steps = workflow.jobs.plan.steps as Array<{ name?: string; run?: string; env?: Record<string, string>; if?: string }>;
    expect(steps.find((s) => s.name === 'Install agent-hub')?.run).toBe(`npm install -g --allow-scripts=better-sqlite3 ${PACKAGE}`);
    const expressions: Record<string, string> = {
      '${{ github.base_ref }}': 'main', '${{ github.token }}': 'token', '${{ github.repository }}': 'me/hub', '${{ github.event.pull_request.number }}': '7',
    };
    const clone = pullRequest();
    const machine = ciMachine();
    const runSteps = (commentId: string) => {
      for (const step of steps) {
        if (!step.run || step.name === 'Install agent-hub' || step.if) continue;
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expressions[v] ?? v]));
        sh(step.run, clone, { ...env, PATH: `${machine.bin}:${process.env.PATH}`, FAKE_LOG: machine.log, FAKE_COMMENT_ID: commentId });
      }
    };
    runSteps('');
    expect(steps.find((s) => s.name === 'Post or update the plan comment')?.run).toContain(`marker='${MARKER}'`);
    expectReviewable(readFileSync(path.join(clone, 'plan.md'), 'utf8'));
    expect(machine.calls().slice(-1)).toEqual(['gh api --method POST repos/me/hub/issues/7/comments -F body=@plan.md']);
    // The next push finds the comment by its marker and edits it.
    runSteps('4242');
    expect(machine.calls().slice(-1)).toEqual(['gh api --method PATCH repos/me/hub/issues/comments/4242 -F body=@plan.md']);
  });

  it('the GitLab CI job does the same with one merge-request note', () => {
    const job = parse(readFileSync(path.join(REPO, 'examples/ci/gitlab-ci.yml'), 'utf8'))['agent-hub-plan'];
    const script = job.script as string[];
    expect(script[0]).toBe(`npm install -g --allow-scripts=better-sqlite3 ${PACKAGE}`);
    expect(script.join('\n')).toContain(`marker='${MARKER}'`);
    const clone = pullRequest();
    const machine = ciMachine();
    const env = {
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main', CI_API_V4_URL: 'https://gitlab.example/api/v4', CI_PROJECT_ID: '12', CI_MERGE_REQUEST_IID: '3',
      AGENT_HUB_GITLAB_TOKEN: 'token', PATH: `${machine.bin}:${process.env.PATH}`, FAKE_LOG: machine.log,
    };
    const notes = 'https://gitlab.example/api/v4/projects/12/merge_requests/3/notes';
    sh(script.slice(1).join('\n'), clone, { ...env, FAKE_NOTES: JSON.stringify([{ id: 1, body: 'LGTM' }]) });
    expectReviewable(readFileSync(path.join(clone, 'plan.md'), 'utf8'));
    expect(machine.calls().slice(-1)[0]).toMatch(new RegExp(`^curl .*--request POST .*--data-urlencode body@plan\\.md ${notes}$`));
    sh(script.slice(1).join('\n'), clone, { ...env, FAKE_NOTES: JSON.stringify([{ id: 1, body: 'LGTM' }, { id: 99, body: `${MARKER}\nold plan` }]) });
    expect(machine.calls().slice(-1)[0]).toMatch(new RegExp(`^curl .*--request PUT .*--data-urlencode body@plan\\.md ${notes}/99$`));
  });
});
