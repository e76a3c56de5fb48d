/** A worker clock this far from the hub's is shown with its runs (less is transport). */
const CLOCK_NOTED_MS = 1000;

/** "runner-2 on build-host (pid 4242, 2.1.197 (Claude Code))": the queue worker a run recorded, in words. */
export function describeWorker(w: Record<string, unknown>): string {
  const offset = typeof w.clockOffsetMs === 'number' && Math.abs(w.clockOffsetMs) >= CLOCK_NOTED_MS ? `clock ${w.clockOffsetMs > 0 ? '+' : '-'}${(Math.abs(w.clockOffsetMs) / 1000).toFixed(1)} s from the hub's` : '';
  const extra = [w.pid !== undefined ? `pid ${String(w.pid)}` : '', typeof w.agentVersion === 'string' ? w.agentVersion : '', offset].filter(Boolean).join(', ');
  return `${String(w.name ?? '?')}${w.host ? ` on ${String(w.host)}` : ''}${extra ? ` (${extra})` : ''}`;
}
