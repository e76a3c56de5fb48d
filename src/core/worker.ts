/** "runner-2 on build-host (pid 4242, 2.1.197 (Claude Code))": the queue worker a run recorded, in words. */
export function describeWorker(w: Record<string, unknown>): string {
  const extra = [w.pid !== undefined ? `pid ${String(w.pid)}` : '', typeof w.agentVersion === 'string' ? w.agentVersion : ''].filter(Boolean).join(', ');
  return `${String(w.name ?? '?')}${w.host ? ` on ${String(w.host)}` : ''}${extra ? ` (${extra})` : ''}`;
}
