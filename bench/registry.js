// Issue 2 figures: apply over 5,000 connector files, and CLI start-up.
import { execFileSync } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectorYaml, median, printTable, tempRepo, writeConnectors } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'agent-hub.js');

function child(...args) {
  return JSON.parse(execFileSync(process.execPath, [path.join(here, 'apply-child.js'), ...args], { encoding: 'utf8' }));
}

function timeCli(args, runs = 15, before = () => {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    before(i);
    const t = performance.now();
    try { execFileSync(process.execPath, [bin, ...args], { stdio: 'ignore' }); } catch { /* exit 1 is fine here */ }
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Sets every connector's mtime in the past, as files checked out a while ago are. */
function ageFiles(root, count) {
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < count; i++) utimesSync(path.join(root, 'connectors', `c-${i}.yaml`), past, past);
}

export async function run() {
  const N = 5000;
  const root = tempRepo();
  writeConnectors(root, N);
  ageFiles(root, N);

  const cold = child(root, 'cold');
  const warm = child(root, 'warm', '7');
  const cliNoChange = timeCli(['apply', '--repo', root], 7);
  let k = 0;
  const cliOneChange = timeCli(['apply', '--repo', root], 7, () => {
    k++;
    writeFileSync(path.join(root, 'connectors', `c-${k * 13}.yaml`), connectorYaml(k * 13, 1000 + k));
  });

  const small = tempRepo();
  writeConnectors(small, 10);
  const validateMs = timeCli(['validate', '--repo', small]);
  const helpMs = timeCli(['--help']);
  const peak = Math.max(cold.maxRssMb, warm.maxRssMb);
  const noChange = median(warm.noChange);
  const oneChange = median(warm.oneChange);

  printTable(`registry: ${N.toLocaleString('en')} connector files`, [
    { metric: 'cold apply: fresh process, empty database (module loading included)', value: `${cold.coldMs.toFixed(0)} ms`, target: '< 2000 ms', ok: cold.coldMs < 2000 },
    { metric: 'second apply, nothing changed (median of 7)', value: `${noChange.toFixed(0)} ms`, target: '< 200 ms', ok: noChange < 200 },
    { metric: 'apply with one changed file (median of 7)', value: `${oneChange.toFixed(0)} ms`, target: '< 100 ms', ok: oneChange < 100 },
    { metric: 'files fully checked in each of those', value: [...new Set(warm.oneChecked)].join(','), target: '1', ok: warm.oneChecked.every((c) => c === 1) },
    { metric: 'peak RSS', value: `${peak.toFixed(0)} MB`, target: '< 250 MB', ok: peak < 250 },
    { metric: 'whole `agent-hub apply` process, nothing changed', value: `${cliNoChange.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'whole `agent-hub apply` process, one changed file', value: `${cliOneChange.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: '`agent-hub validate`, 10 connectors, whole process (median of 15)', value: `${validateMs.toFixed(0)} ms`, target: '< 400 ms', ok: validateMs < 400 },
    { metric: '`agent-hub --help`, whole process (median of 15)', value: `${helpMs.toFixed(0)} ms`, target: '', ok: undefined },
  ]);
}
