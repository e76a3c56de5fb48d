/** A run as a commit trailer lists it. */
export interface CommittedRun {
  id: string;
  connectorId: string;
  status: string;
  costUsd: number | null;
}

/**
 * `state: 12 runs (11 success, 1 failed), $0.42` and one `Agent-Hub-Run:` trailer a run,
 * so `git log --grep`, `git log state/runs/<id>` and `git shortlog` read well.
 */
export function commitMessage(runs: readonly CommittedRun[], outputs: number): string {
  const parts: string[] = [];
  if (runs.length) {
    const by = new Map<string, number>();
    for (const r of runs) by.set(r.status, (by.get(r.status) ?? 0) + 1);
    const counts = [...by.entries()].sort(([a], [b]) => (a === 'success' ? -1 : b === 'success' ? 1 : a < b ? -1 : 1)).map(([s, n]) => `${n} ${s}`).join(', ');
    const cost = runs.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    const dollars = cost > 0 && cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2);
    parts.push(`${runs.length} run${runs.length === 1 ? '' : 's'} (${counts}), $${dollars}`);
  }
  if (outputs) parts.push(`${outputs} output${outputs === 1 ? '' : 's'}`);
  const subject = `state: ${parts.length ? parts.join(', ') : 'registry snapshot'}`;
  const trailers = [...runs].sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => `Agent-Hub-Run: ${r.id} ${r.connectorId} ${r.status}`);
  return trailers.length ? `${subject}\n\n${trailers.join('\n')}\n` : `${subject}\n`;
}
