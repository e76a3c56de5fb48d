// Issue 4 figures: commit cost against history size, and repository growth per 1,000 runs.
//
// About the growth figure. The product asks for one readable file per run, and in git a
// file costs something before its content: a pack-index entry (28 bytes), a tree entry (a
// 20-byte object id and the file name, in every tree version that lists it) and a blob
// delta against a similar run (ids, times, session id). The "identical results" row
// measures exactly that floor, with every run's result the same 1 KB: it is above 150 KB
// already, so no 1 KB result can bring one-file-per-run under the target. The rows after
// it show what the alternatives would give for the same runs: binary copies of the
// database, and append-only per-connector, per-day JSON Lines files (records compressed
// together; not the product's layout, which promises a file per run).
import { appendFileSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { git, median, printTable, tempRepo } from './lib.js';

const { openDb } = await import('../dist/registry/db.js');
const { reconcile } = await import('../dist/reconcile/reconcile.js');
const { GitState } = await import('../dist/gitstate/state.js');
const { runFilePath, runRecord } = await import('../dist/gitstate/records.js');
const { canonicalJson } = await import('../dist/spec/hash.js');

const CONNECTORS = 20;
const WORDS = 'agent repository commit review digest summary change risk author branch merge deploy test build release'.split(' ');

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const AREAS = ['scheduler', 'executor', 'registry', 'dashboard', 'git state', 'CLI', 'templates', 'docs'];

/**
 * About 1 KB shaped like a real digest: the same headings and phrasing every day, with
 * names, numbers, titles and ids that change from run to run.
 */
function digest(n) {
  const pick = (arr, k) => arr[(n * 7 + k * 13) % arr.length];
  const lines = [
    `## Daily digest for acme/repo-${n % CONNECTORS}, run ${n}`,
    '',
    `- ${(n % 9) + 1} commits by ${pick(NAMES, 1)} and ${pick(NAMES, 2)} in the ${pick(AREAS, 3)}.`,
    `- Merged #${1000 + n}: "Fix ${pick(AREAS, 4)} retry when the ${pick(AREAS, 5)} is slow" (${pick(NAMES, 6)}).`,
    `- Opened #${2000 + n}: "Document ${pick(AREAS, 7)} settings" (${pick(NAMES, 8)}), waiting for review.`,
    `- Dependency updates: croner 9.1.${n % 10}, execa 9.6.${n % 7}; no breaking changes.`,
    `- Tests: ${400 + (n % 50)} passed, ${n % 3} flaky (${pick(AREAS, 9)}), coverage ${80 + (n % 15)}%.`,
    '',
    '### Risky changes',
    `- ${pick(AREAS, 10)}: migration ${n % 40} rewrites a table; deploy outside business hours.`,
    `- ${pick(AREAS, 11)}: a new environment variable must be set before the next release.`,
    '',
    '### Suggested next steps',
    `1. Ask ${pick(NAMES, 12)} to review #${2000 + n} before Friday.`,
    `2. Pin the ${pick(AREAS, 13)} benchmark and compare with last week (${(n % 17) + 3}% slower).`,
    `3. Close ${(n % 4) + 1} stale issues about the ${pick(AREAS, 14)}.`,
  ];
  return `${lines.join('\n')}\n`;
}

/** About 1 KB of random words: the worst case, nothing shared between runs but the vocabulary. */
function result(n) {
  let s = '';
  let x = n * 2654435761 % 4294967296;
  while (s.length < 1000) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += `${WORDS[x % WORDS.length]}${x % 7 === 0 ? '.\n' : ' '}`;
  }
  return s;
}

function execution(n, createdAt, text = result) {
  const id = `${createdAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${n.toString(16).padStart(8, '0')}`;
  const iso = createdAt.toISOString();
  return {
    id, connectorId: `c${n % CONNECTORS}`, status: n % 10 === 0 ? 'failed' : 'success', trigger: 'schedule', attempt: 1, parentId: null,
    specHash: 'a'.repeat(64), gitCommit: null, scheduledFor: iso, inputs: { days: 1 }, renderedPrompt: `Summarise the last day of repo ${n % CONNECTORS}.`,
    argv: ['claude', '-p', '--output-format', 'json'], result: text(n), outputTruncated: false, costUsd: 0.01, usage: { usage: { input_tokens: 2400, output_tokens: 300 } },
    sessionId: '00000000-0000-4000-8000-' + n.toString(16).padStart(12, '0'), numTurns: 3, durationMs: 12000, exitCode: 0,
    errorKind: n % 10 === 0 ? 'agent-error' : null, error: n % 10 === 0 ? 'claude failed (exit 1, success): API Error: 529 Overloaded' : null,
    validationErrors: null, permissionDenials: null, createdAt: iso, startedAt: iso, finishedAt: iso,
  };
}

async function hubRepo(hubYaml = '') {
  const root = tempRepo();
  git(root, 'init', '-q', '--initial-branch=main');
  git(root, 'config', 'gc.auto', '0');
  mkdirSync(path.join(root, 'connectors'), { recursive: true });
  for (let i = 0; i < CONNECTORS; i++) writeFileSync(path.join(root, 'connectors', `c${i}.yaml`), JSON.stringify({ prompt: `repo ${i}`, schedule: '0 * * * *' }));
  writeFileSync(path.join(root, '.gitignore'), '.agent-hub/\n');
  if (hubYaml) writeFileSync(path.join(root, 'hub.yaml'), hubYaml);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'hub');
  const db = openDb(path.join(root, '.agent-hub/hub.db'));
  await reconcile(root, db);
  return { root, db };
}

/** `count` runs already in history, spread over the past (about 100 a day), committed in one go. */
function seedHistory(root, count) {
  const day = 86_400_000;
  const start = Date.now() - (count / 100 + 2) * day;
  for (let n = 0; n < count; n++) {
    const e = execution(n, new Date(start + (n / 100) * day));
    const abs = path.join(root, runFilePath(e));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, runRecord(e));
  }
  git(root, 'add', 'state');
  git(root, 'commit', '-qm', 'history');
}

/** A hub repository with `history` runs committed, and a GitState to commit more with. */
async function prepared(history, hubYaml = '') {
  const { root, db } = await hubRepo(hubYaml);
  if (history) seedHistory(root, history);
  execFileSync('sync'); // let the seeding's writes reach the disk before timing anything
  const state = new GitState(db, root, hubYaml ? { state: { branch: 'agent-hub/state' } } : {});
  return { root, db, state, n: 10_000_000 * (history + 1) };
}

async function commitBatch(repo) {
  for (let i = 0; i < 100; i++) repo.state.recordRun(execution(repo.n++, new Date()));
  const t = performance.now();
  await repo.state.commit();
  return performance.now() - t;
}

/**
 * Times commits of 100 new runs with 1,000 and with 100,000 runs in history, alternating
 * between the two repositories so that the machine's noise falls on both alike.
 */
async function batchCommitMs(hubYaml = '', rounds = 11) {
  const small = await prepared(1_000, hubYaml);
  const large = await prepared(100_000, hubYaml);
  await commitBatch(small); // warm-up
  await commitBatch(large);
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await commitBatch(small));
    b.push(await commitBatch(large));
  }
  small.db.close();
  large.db.close();
  return { small: median(a), large: median(b), largeRoot: large.root };
}

function gitSizeKb(root) {
  execFileSync('git', ['gc', '-q', '--aggressive', '--prune=now'], { cwd: root });
  const out = execFileSync('git', ['count-objects', '-v'], { cwd: root, encoding: 'utf8' });
  const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  return field('size-pack') + field('size'); // size-pack counts the .pack and .idx files
}

/** The nth of 1,000 runs, spread over ten days, 100 to a batch. */
const grownRun = (n, results) => execution(n, new Date(Date.now() - (1000 - n) * 14.4 * 60_000), results);

/** .git growth (after gc) of 1,000 runs, each written by `write`, committed by `commit` in 10 batches of 100. */
async function batchedGrowth(results, { write, commit }) {
  const repo = await hubRepo();
  const before = gitSizeKb(repo.root);
  for (let batch = 0; batch < 10; batch++) {
    for (let i = 0; i < 100; i++) write(repo, grownRun(batch * 100 + i, results));
    await commit(repo, batch);
  }
  repo.db.close();
  return gitSizeKb(repo.root) - before;
}

const states = new WeakMap();
const gitState = (repo) => states.get(repo) ?? states.set(repo, new GitState(repo.db, repo.root, {})).get(repo);

/** The hub itself: a run in the registry and its file, committed with GitState (one trailer a run, as in real commits). */
const hubFiles = {
  write: (repo, e) => {
    repo.db.prepare('INSERT INTO executions (id, connector_id, status, created_at, result) VALUES (?, ?, ?, ?, ?)').run(e.id, e.connectorId, e.status, e.createdAt, e.result);
    gitState(repo).recordRun(e);
  },
  commit: (repo) => gitState(repo).commit(),
};

/** The alternative: commit a copy of the SQLite file after every batch. */
const binaryCopies = {
  write: (repo, e) => repo.db.prepare('INSERT INTO executions (id, connector_id, status, created_at, result, rendered_prompt, usage) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(e.id, e.connectorId, e.status, e.createdAt, e.result, e.renderedPrompt, JSON.stringify(e.usage)),
  commit: (repo, batch) => {
    repo.db.pragma('wal_checkpoint(TRUNCATE)');
    mkdirSync(path.join(repo.root, 'state'), { recursive: true });
    copyFileSync(path.join(repo.root, '.agent-hub/hub.db'), path.join(repo.root, 'state/hub.db'));
    git(repo.root, 'add', 'state/hub.db');
    git(repo.root, 'commit', '-qm', `db copy ${batch}`);
  },
};

/** The other alternative: one line a run, appended to state/runs/<connector>/<yyyy>/<mm>/<dd>.jsonl. */
const dailyJsonLines = {
  write: (repo, e) => {
    const [yyyy, mm, dd] = e.createdAt.slice(0, 10).split('-');
    const abs = path.join(repo.root, 'state/runs', e.connectorId, yyyy, mm, `${dd}.jsonl`);
    mkdirSync(path.dirname(abs), { recursive: true });
    appendFileSync(abs, `${canonicalJson(e)}\n`);
  },
  commit: (repo, batch) => {
    git(repo.root, 'add', 'state');
    git(repo.root, 'commit', '-qm', `runs ${batch}`);
  },
};

async function growth(results) {
  return {
    textKb: await batchedGrowth(results, hubFiles),
    binKb: await batchedGrowth(results, binaryCopies),
    jsonlKb: await batchedGrowth(results, dailyJsonLines),
  };
}

/** `agent-hub restore` of a repository, in a fresh process: time (module loading included) and peak RSS. */
function restoreFigures(root) {
  rmSync(path.join(root, '.agent-hub'), { recursive: true, force: true });
  const out = execFileSync(process.execPath, [new URL('./restore-child.js', import.meta.url).pathname, root], { encoding: 'utf8' });
  return JSON.parse(out);
}

export async function run() {
  const { small, large, largeRoot } = await batchCommitMs();
  const restored = restoreFigures(largeRoot);
  const { small: smallBranch, large: largeBranch } = await batchCommitMs('state:\n  branch: agent-hub/state\n');
  const floor = await growth(() => `${'The same report, run after run. '.repeat(31)}\n`.slice(0, 1000));
  const real = await growth(digest);
  const worst = await growth(result);
  const kb = (n) => `${n} KB`;
  const growthRows = (label, g) => [
    { metric: `.git growth per 1,000 runs, ${label}, after gc`, value: kb(g.textKb), target: '< 150 KB', ok: g.textKb < 150 },
    { metric: '  the same runs as binary database copies', value: kb(g.binKb), target: '(comparison)', ok: undefined },
    { metric: '  the same runs as per-connector per-day JSON Lines', value: kb(g.jsonlKb), target: '(comparison)', ok: undefined },
  ];
  printTable('git state: commits and repository growth', [
    { metric: 'commit 100 runs, 1,000 runs in history (median of 11)', value: `${small.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'commit 100 runs, 100,000 runs in history (median of 11)', value: `${large.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'ratio (checked-out branch)', value: (large / small).toFixed(2), target: '< 1.5', ok: large / small < 1.5 },
    { metric: 'same with state.branch: 1,000 / 100,000 in history', value: `${smallBranch.toFixed(0)} / ${largeBranch.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'ratio (state.branch, plumbing)', value: (largeBranch / smallBranch).toFixed(2), target: '< 1.5', ok: largeBranch / smallBranch < 1.5 },
    { metric: `restore ${restored.runs.toLocaleString('en')} runs (whole process): time / peak RSS`, value: `${(restored.ms / 1000).toFixed(1)} s / ${restored.maxRssMb.toFixed(0)} MB`, target: '', ok: undefined },
    { metric: '  the registry it rebuilds (1 KB results)', value: `${restored.dbMb.toFixed(0)} MB`, target: '', ok: undefined },
    { metric: '  newest 50 runs from it (history, dashboard; median of 9)', value: `${restored.newestMs.toFixed(2)} ms`, target: '', ok: undefined },
    ...growthRows('identical 1 KB results (the cost of a file a run)', floor),
    ...growthRows('1 KB digest-like results', real),
    ...growthRows('1 KB random-word results', worst),
  ]);
}
