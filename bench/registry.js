// Issue 2 and 10 figures: apply over 5,000 connector files, and CLI start-up, each beside a
// yardstick measured in the same run.
import { execFileSync } from 'node:child_process';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, connectorYaml, median, printTable, tempRepo, timeProcess, writeConnectors } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'agent-hub.js');

function child(...args) {
  return JSON.parse(execFileSync(process.execPath, [path.join(here, 'apply-child.js'), ...args], { encoding: 'utf8' }));
}

function timeCli(args, runs = 15, before = () => {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    before(i);
    times.push(timeProcess([bin, ...args]));
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

  // Cold: an empty database each time, the whole `agent-hub apply` process against the plain script's.
  const plainDb = path.join(tempRepo(), 'plain.db');
  const cold = await alternate(5, () => {
    rmSync(path.join(root, '.agent-hub'), { recursive: true, force: true });
    return timeProcess([bin, 'apply', '--repo', root]);
  }, () => {
    rmSync(plainDb, { force: true });
    return timeProcess([path.join(here, 'plain-apply.js'), root, plainDb]);
  });
  const coldRatio = cold.a / cold.b;

  rmSync(path.join(root, '.agent-hub'), { recursive: true, force: true });
  const inProcess = child(root, 'cold');
  const warm = child(root, 'warm', '7');
  const cliNoChange = timeCli(['apply', '--repo', root], 7);
  let k = 0;
  const cliOneChange = timeCli(['apply', '--repo', root], 7, () => {
    k++;
    writeFileSync(path.join(root, 'connectors', `c-${k * 13}.yaml`), connectorYaml(k * 13, 1000 + k));
  });

  const small = tempRepo();
  writeConnectors(small, 10);
  const cli = await alternate(15, () => timeProcess([bin, 'validate', '--repo', small]), () => timeProcess([bin, '--help']));
  const cliRatio = cli.a / cli.b;
  const peak = Math.max(inProcess.maxRssMb, warm.maxRssMb);
  const noChange = median(warm.noChange);
  const oneChange = median(warm.oneChange);
  const stats = median(warm.statMs);
  const oneRatio = oneChange / stats;

  printTable(`registry: ${N.toLocaleString('en')} connector files`, [
    { metric: 'cold `agent-hub apply`, whole process, empty database (median of 5)', value: `${cold.a.toFixed(0)} ms`, yardstick: `${cold.b.toFixed(0)} ms: plain read+YAML+hash+SQLite script`, ratio: coldRatio, target: '≤ 2×', ok: coldRatio <= 2 },
    { metric: 'cold apply in a fresh process, module loading included', value: `${inProcess.coldMs.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'second apply, nothing changed (in process, median of 7)', value: `${noChange.toFixed(0)} ms`, target: '< 200 ms', ok: noChange < 200 },
    { metric: 'apply with one changed file (in process, median of 7)', value: `${oneChange.toFixed(0)} ms`, yardstick: `${stats.toFixed(0)} ms: stat of the ${N.toLocaleString('en')} files`, ratio: oneRatio, target: '≤ 3×', ok: oneRatio <= 3 },
    { metric: 'files fully checked in each of those', value: [...new Set(warm.oneChecked)].join(','), target: '1', ok: warm.oneChecked.every((c) => c === 1) },
    { metric: 'peak RSS', value: `${peak.toFixed(0)} MB`, target: '< 250 MB', ok: peak < 250 },
    { metric: 'whole `agent-hub apply` process, nothing changed', value: `${cliNoChange.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: 'whole `agent-hub apply` process, one changed file', value: `${cliOneChange.toFixed(0)} ms`, target: '', ok: undefined },
    { metric: '`agent-hub validate`, 10 connectors, whole process (median of 15)', value: `${cli.a.toFixed(0)} ms`, yardstick: `${cli.b.toFixed(0)} ms: \`agent-hub --help\``, ratio: cliRatio, target: '≤ 1.5×', ok: cliRatio <= 1.5 },
  ]);
}
