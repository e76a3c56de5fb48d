import { oneLine, toolSummary, type TranscriptEvent } from '../agents/transcript.js';

const time = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '        ' : d.toLocaleTimeString('en-GB', { hour12: false });
};
const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n));
const cut = (e: TranscriptEvent) => (e.cut ? ` [${e.cut} bytes cut]` : '');
const lines = (text: string) => {
  const n = text.trimEnd().split('\n').length;
  return n > 1 ? ` (${n} lines)` : '';
};

/** One transcript event as one line: the time, what happened, and the command, path or text. */
export function formatEvent(e: TranscriptEvent): string {
  const at = time(e.at);
  switch (e.kind) {
    case 'init': return `${at}  ${pad('start', 9)}${e.model ?? 'claude'}${e.sessionId ? `, session ${e.sessionId}` : ''}`;
    case 'text': return `${at}  ${pad('says', 9)}${oneLine(e.text)}${cut(e)}`;
    case 'tool': return `${at}  ${pad(e.name, 9)}${toolSummary(e.input)}${cut(e)}`;
    case 'tool-result': return `${at}    ${e.isError ? '↳ error ' : '↳ '}${oneLine(e.text, 120) || '(no output)'}${lines(e.text)}${cut(e)}`;
    case 'denied': return `${at}  ${pad('DENIED', 9)}${e.tool} ${toolSummary(e.input)}`;
    case 'result': {
      const usage = e.usage as { input_tokens?: number; output_tokens?: number } | null;
      const tokens = usage ? `, ${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out tokens` : '';
      const cost = e.costUsd !== null ? `, $${e.costUsd.toFixed(4)}` : '';
      const turns = e.numTurns !== null ? `, ${e.numTurns} turn${e.numTurns === 1 ? '' : 's'}` : '';
      return `${at}  ${pad('result', 9)}${e.isError ? 'error' : 'ok'} (${e.subtype ?? '?'})${cost}${turns}${tokens}`;
    }
    case 'output': return `${at}  ${pad(e.stream, 9)}${e.text}`;
    case 'end': return `${at}  ${pad('end', 9)}${e.status}${e.error ? `: ${oneLine(e.error)}` : ''}`;
  }
}

/** A whole transcript, one line an event. */
export function formatTranscript(events: readonly TranscriptEvent[]): string {
  return events.map((e) => `${formatEvent(e)}\n`).join('');
}
