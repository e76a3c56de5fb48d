import type { TranscriptEvent, TranscriptStep } from '../agents/transcript.js';
import type { Redactor } from './redact.js';

export interface TranscriptReaderOptions {
  /** The agent type's stream parser; without one every output line is a step. */
  parse?: ((line: string) => TranscriptStep[] | null) | undefined;
  /** A text, tool result or tool input string longer than this is cut (the step says by how many bytes). */
  maxItemBytes: number;
  /** Bytes of plain output kept (for the result) and of output lines put in the transcript. */
  maxOutputBytes: number;
  redact: Redactor;
  now: () => Date;
  emit: (e: TranscriptEvent) => void;
}

/** The first `max` bytes of a UTF-8 text, without a character cut in half. */
function headBytes(text: string, max: number): string {
  return Buffer.from(text, 'utf8').subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}

/** Splits a byte stream into lines; a line longer than `max` keeps its first `max` bytes, the rest is counted. */
class Lines {
  private parts: Buffer[] = [];
  private size = 0;
  private over = 0;
  constructor(private readonly max: number, private readonly line: (text: string, dropped: number) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.add(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
  }

  /** The last line, when the output did not end with a newline. */
  end(): void {
    if (this.size || this.over) this.flush();
  }

  private add(b: Buffer): void {
    const room = Math.max(this.max - this.size, 0);
    if (b.length > room) this.over += b.length - room;
    if (room > 0) {
      const kept = b.subarray(0, room);
      this.parts.push(kept);
      this.size += kept.length;
    }
  }

  private flush(): void {
    const text = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
    const dropped = this.over;
    [this.parts, this.size, this.over] = [[], 0, 0];
    this.line(text, dropped);
  }
}

/**
 * Reads an agent's output as it comes and turns it into transcript events, each redacted
 * and cut to size before anyone sees it. For a streaming agent type it also keeps what its
 * `interpret` reads: the lines that were no event and the result line.
 */
export class TranscriptReader {
  private seq = 0;
  private outputBudget: number;
  private plain: string[] = [];
  private plainBytes = 0;
  private dropped = 0;
  private resultLine: string | null = null;
  private readonly out: Lines;
  private readonly err: Lines;

  constructor(private readonly o: TranscriptReaderOptions) {
    this.outputBudget = o.maxOutputBytes;
    this.out = new Lines(o.maxOutputBytes, (text, dropped) => this.stdoutLine(text, dropped));
    this.err = new Lines(o.maxItemBytes, (text) => this.output('stderr', text));
  }

  get count(): number {
    return this.seq;
  }

  stdout(chunk: Buffer): void {
    this.out.push(chunk);
  }

  stderr(chunk: Buffer): void {
    this.err.push(chunk);
  }

  /** Ends the streams; for a streaming agent, the stdout its `interpret` reads and the bytes dropped of it. */
  finish(): { stdout: string; droppedBytes: number } {
    this.out.end();
    this.err.end();
    const lines = this.resultLine === null ? this.plain : [...this.plain, this.resultLine];
    return { stdout: lines.join('\n'), droppedBytes: this.dropped };
  }

  private stdoutLine(text: string, dropped: number): void {
    if (!this.o.parse) {
      this.output('stdout', text);
      return;
    }
    const steps = dropped ? null : this.o.parse(text);
    // An event line over the output limit cannot be read; unless it is the result (what the run
    // is decided on, read in part by interpret), it is left out, not taken for plain output.
    if (dropped && !/"type"\s*:\s*"result"/.test(text)) {
      this.step({ kind: 'output', stream: 'stdout', text: `[an event of ${Buffer.byteLength(text, 'utf8') + dropped} bytes, over the output limit (defaults.maxOutputBytes), is left out]` });
      return;
    }
    if (steps === null) {
      this.keepPlain(text, dropped);
      if (text.trim()) this.output('stdout', text);
      return;
    }
    if (steps.some((s) => s.kind === 'result')) this.resultLine = text;
    for (const step of steps) this.step(step);
  }

  /** Non-event output, kept for interpret up to the output limit. */
  private keepPlain(text: string, dropped: number): void {
    const room = Math.max(this.o.maxOutputBytes - this.plainBytes, 0);
    const bytes = Buffer.byteLength(text, 'utf8');
    const kept = bytes > room ? headBytes(text, room) : text;
    this.plain.push(kept);
    this.plainBytes += Buffer.byteLength(kept, 'utf8') + 1;
    this.dropped += dropped + bytes - Buffer.byteLength(kept, 'utf8');
  }

  /** Output lines go into the transcript up to the output limit; then one step says the rest is left out. */
  private output(stream: 'stdout' | 'stderr', text: string): void {
    if (this.outputBudget <= 0) return;
    const bytes = Buffer.byteLength(text, 'utf8') + 1;
    this.outputBudget -= bytes;
    if (this.outputBudget <= 0) {
      this.step({ kind: 'output', stream, text: `[output over ${this.o.maxOutputBytes} bytes: the rest is not in the transcript]` });
      return;
    }
    this.step({ kind: 'output', stream, text });
  }

  private step(step: TranscriptStep): void {
    // Redacted whole first, so a cut cannot fall inside a secret and leave its start.
    const clean = this.o.redact.value(step);
    let cut = 0;
    const trim = (s: string) => {
      const bytes = Buffer.byteLength(s, 'utf8');
      if (bytes <= this.o.maxItemBytes) return s;
      cut += bytes - this.o.maxItemBytes;
      return headBytes(s, this.o.maxItemBytes);
    };
    const trimAll = (v: unknown): unknown => typeof v === 'string' ? trim(v)
      : Array.isArray(v) ? v.map(trimAll)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, trimAll(x)])) : v;
    if (clean.kind === 'text' || clean.kind === 'tool-result' || clean.kind === 'output') clean.text = trim(clean.text);
    if (clean.kind === 'tool' || clean.kind === 'denied') clean.input = trimAll(clean.input);
    this.seq++;
    this.o.emit({ ...clean, seq: this.seq, at: this.o.now().toISOString(), ...(cut ? { cut } : {}) });
  }
}
