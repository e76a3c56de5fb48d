#!/usr/bin/env node
// Measures what committed transcripts cost a repository: bytes per run of a typical
// transcript (20 tool calls, results cut at state.transcriptMaxBytes) and the growth of .git
// over N runs committed 10 at a time (a 5-minute commit interval with a busy hub).
// Usage: npm run build && node scripts/measure-transcripts.js [runs=1000] [maxBytes=4096]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TranscriptReader } from '../dist/execute/transcript-reader.js';
import { Redactor } from '../dist/execute/redact.js';
import { streamSteps } from '../dist/agents/claude/stream.js';

const runs = Number(process.argv[2] ?? 1000);
const maxItemBytes = Number(process.argv[3] ?? 4096);
// Real text for tool results: this repository's sources, so compression is realistic.
const sources = readdirSync('src', { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join('src', f), 'utf8'));
const pick = (i) => sources[i % sources.length];

/** One run's transcript as the hub stores it, from stream-json lines like the real CLI's. */
function transcript(n) {
  const lines = [JSON.stringify({ type: 'system', subtype: 'init', session_id: `s-${n}`, model: 'claude-sonnet-4-5', tools: ['Bash', 'Read', 'Edit'] })];
  for (let t = 0; t < 20; t++) {
    const id = `toolu_${n}_${t}`;
    const file = `src/file-${(n * 7 + t) % 97}.ts`;
    const input = t % 3 === 0 ? { command: `git log --oneline -${t + 3} -- ${file}`, description: 'recent history' } : { file_path: `/srv/repo/${file}` };
    lines.push(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: `Step ${t}: looking at ${file} to see what changed.` }, { type: 'tool_use', id, name: t % 3 === 0 ? 'Bash' : 'Read', input }] } }));
    lines.push(JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: id, content: pick(n * 20 + t), is_error: false }] } }));
  }
  lines.push(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Summary of the changes…', total_cost_usd: 0.04, num_turns: 21, duration_ms: 60000, usage: { input_tokens: 40000, output_tokens: 900 }, permission_denials: [] }));
  const out = [];
  const reader = new TranscriptReader({ parse: streamSteps, maxItemBytes, maxOutputBytes: 1 << 20, redact: new Redactor([]), now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, n)), emit: (e) => out.push(JSON.stringify(e)) });
  reader.stdout(Buffer.from(`${lines.join('\n')}\n`));
  reader.finish();
  return `${out.join('\n')}\n`;
}

const dir = mkdtempSync(path.join(tmpdir(), 'transcript-growth-'));
const git = (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
git('init', '-q');
git('config', 'user.email', 'm@x');
git('config', 'user.name', 'm');
git('config', 'gc.auto', '0');
const size = (p) => readdirSync(p, { recursive: true }).reduce((n, f) => { const s = statSync(path.join(p, f)); return n + (s.isFile() ? s.size : 0); }, 0);
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const t = transcript(i);
  bytes += Buffer.byteLength(t);
  const d = path.join(dir, 'state/runs/digest/2026/01');
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, `run-${String(i).padStart(5, '0')}.transcript.jsonl`), t);
  if (i % 10 === 9) {
    git('add', '-A');
    git('commit', '-qm', `state: ${i}`);
  }
}
const loose = size(path.join(dir, '.git'));
git('gc', '-q');
const packed = size(path.join(dir, '.git'));
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`transcriptMaxBytes ${maxItemBytes}: ${Math.round(bytes / runs)} bytes per run; ${runs} runs: .git ${mb(loose)} loose, ${mb(packed)} after git gc (${dir})`);
