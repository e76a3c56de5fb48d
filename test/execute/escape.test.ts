import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { hubWith, runOnce } from '../helpers/hub.js';
import { testdir } from '../helpers/repo.js';
import { eventually } from '../helpers/fake-agent.js';
import { cgroupsWritable, running } from '../helpers/procs.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** A command agent running this shell script. */
const sh = (script: string, timeout = '5m') => yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', script], timeout } });


const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());

/**
 * Shell that starts `sleep 40` in a session of its own (setsid), with `redirect` applied,
 * and waits until it has left the group: its pid is in `dir/escaped` by then.
 */
const escape = (dir: string, redirect = '') =>
  `setsid sh -c 'echo $$ > ${dir}/escaped.tmp; mv ${dir}/escaped.tmp ${dir}/escaped; exec sleep 40' ${redirect} & while [ ! -e ${dir}/escaped ]; do sleep 0.05; done`;

// The 15 s limits are far above what these runs take once fixed (about 2 s at most), and far
// below what they took before (40 s: until the escaped process ended on its own).
describe('descendants that leave the process group', () => {
  it('a run whose setsid descendant holds stdout still ends at its deadline, and the descendant is killed', async () => {
    const pids = testdir();
    const { hub } = await hubWith({ 'connectors/esc.yaml': sh(`${escape(pids)}; sleep 30`, '1s') });
    const e = await runOnce(hub, 'esc');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'timeout' });
    await eventually(() => expect(running(pidIn(`${pids}/escaped`))).toBe(false), 2000);
  }, 15_000);

  it('an agent that exits at once but leaves a setsid child holding stdout succeeds promptly; the child is killed', async () => {
    const pids = testdir();
    const { hub } = await hubWith({ 'connectors/esc.yaml': sh(`${escape(pids)}; echo done`) });
    const e = await runOnce(hub, 'esc');
    expect(e).toMatchObject({ status: 'success', result: 'done' });
    await eventually(() => expect(running(pidIn(`${pids}/escaped`))).toBe(false), 2000);
  }, 15_000);

  it('a setsid descendant holding no pipe is found and killed when the run ends', async () => {
    const pids = testdir();
    const { hub } = await hubWith({ 'connectors/esc.yaml': sh(`${escape(pids, '</dev/null >/dev/null 2>&1')}; echo done`) });
    const e = await runOnce(hub, 'esc');
    expect(e).toMatchObject({ status: 'success', result: 'done' });
    await eventually(() => expect(running(pidIn(`${pids}/escaped`))).toBe(false), 2000);
  }, 15_000);

  it('claude starting a daemonized helper times out on time; agent and helper are gone', async () => {
    const { hub, fake } = await hubWith({ 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake escape 40\n@fake sleep 30', agent: { timeout: '1s' } }) });
    const e = await runOnce(hub, 'slow');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'timeout' });
    const marker = readdirSync(fake.liveDir).find((f) => f.startsWith('escaped-of-')) as string;
    await eventually(() => expect(running(pidIn(path.join(fake.liveDir, marker)))).toBe(false), 2000);
    for (const pid of fake.livePids()) expect(running(pid)).toBe(false);
  }, 15_000);

  // Only a cgroup finds this one: no environment to recognise it by, and gone from the
  // tree before the hub looked (its parent exits at once).
  it.runIf(cgroupsWritable())('a descendant that left the group and dropped its environment is killed too, where runs get a cgroup', async () => {
    const pids = testdir();
    const script = `env -i /usr/bin/setsid /bin/sh -c 'echo $$ > ${pids}/escaped.tmp; /bin/mv ${pids}/escaped.tmp ${pids}/escaped; exec /bin/sleep 40' </dev/null >/dev/null 2>&1 & while [ ! -e ${pids}/escaped ]; do sleep 0.05; done; echo done`;
    const { hub } = await hubWith({ 'connectors/esc.yaml': sh(script) });
    const e = await runOnce(hub, 'esc');
    expect(e).toMatchObject({ status: 'success', result: 'done' });
    await eventually(() => expect(running(pidIn(`${pids}/escaped`))).toBe(false), 2000);
  }, 15_000);

  // The agent is in the run's cgroup before its first instruction (so what it forks at once is too); the hub never is.
  it.runIf(cgroupsWritable())('an agent starts inside its run\'s cgroup, and the hub stays in its own', async () => {
    const own = readFileSync('/proc/self/cgroup', 'utf8');
    const { hub } = await hubWith({ 'connectors/cg.yaml': sh('cat /proc/self/cgroup & wait') });
    const e = await runOnce(hub, 'cg');
    expect(e.status).toBe('success');
    expect(e.result).toMatch(new RegExp(`^0::.*/agent-hub-run\\.${e.id}\\.${process.pid}-\\d+$`, 'm'));
    expect(readFileSync('/proc/self/cgroup', 'utf8')).toBe(own);
  }, 15_000);
});
