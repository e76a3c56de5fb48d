// Helpers shared by the benchmarks: temp hub repos, timing, a printed table.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const temps = [];
process.on('exit', () => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

export function tempRepo(prefix = 'agent-hub-bench-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A realistic connector: schedule, typed inputs, a multi-line template, agent options. */
export function connectorYaml(i, variant = 0) {
  return `# yaml-language-server: $schema=../schemas/connector.schema.json
name: Connector ${i}
description: Benchmark connector number ${i}, variant ${variant}.
schedule: "${i % 60} ${i % 24} * * *"
timezone: Europe/Paris
inputs:
  repo:
    type: string
    default: acme/repo-${i}
  days:
    type: integer
    default: ${(i % 7) + 1}
prompt: |
  You are agent number ${i}. Summarise the last {{inputs.days}} days of {{inputs.repo}} for {{date}}.
  {{#if (eq inputs.days 1)}}Only yesterday matters.{{/if}}
  List risky changes first, then the ${i % 13} most active authors. Variant ${variant}.
agent:
  model: claude-sonnet-4-5
  maxTurns: 5
  allowedTools: ["Bash(git log:*)", "Read"]
  timeout: 5m
retry:
  attempts: 2
`;
}

export function writeConnectors(root, count) {
  mkdirSync(path.join(root, 'connectors'), { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(path.join(root, 'connectors', `c-${i}.yaml`), connectorYaml(i));
}

export function git(dir, ...args) {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd: dir, encoding: 'utf8' });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * Prints rows as an aligned table: metric, value, yardstick (a figure measured beside it in
 * the same run, on the same machine), ratio of the two, target, verdict. Absolute figures
 * differ several times between machines of the same kind; ratios to a yardstick do not.
 */
export function printTable(title, rows) {
  const header = ['metric', 'value', 'yardstick (same run)', 'ratio', 'target', 'ok'];
  const cells = rows.map((r) => [
    r.metric, r.value, r.yardstick ?? '—', r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => String(x).padEnd(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

/** Times `a` and `b` alternately, `n` times each (so load on a shared machine hits both alike); medians. */
export async function alternate(n, a, b) {
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    xs.push(await a(i));
    ys.push(await b(i));
  }
  return { a: median(xs), b: median(ys), as: xs, bs: ys };
}

/** Milliseconds a whole process takes, from spawn to exit (a non-zero exit is fine here). */
export function timeProcess(args, opts = {}) {
  const t = performance.now();
  try {
    execFileSync(process.execPath, args, { stdio: 'ignore', ...opts });
  } catch {
    // exit 1 (invalid files) is an answer too
  }
  return performance.now() - t;
}

/** A temporary git repository holding these files (path → content). */
export function repoWith(files) {
  const root = tempRepo();
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}
