import { describe, expect, it } from 'vitest';
import type { ConnectorVersion, InputSpec } from '../../src/core/types.js';
import { renderPrompt, RenderError } from '../../src/template/render.js';
import { resolveInputs } from '../../src/template/inputs.js';
import { previewPrompt } from '../../src/template/preview.js';

function version(template: string, extra: Partial<ConnectorVersion['spec']> = {}, partials: Record<string, string> = {}): ConnectorVersion {
  return { spec: { id: 'demo', name: 'Demo', inputs: {}, ...extra } as ConnectorVersion['spec'], sourcePath: 'connectors/demo.yaml', template, partials };
}
const run = { id: 'run-1', trigger: 'manual', now: new Date('2026-03-04T23:30:00Z') };

describe('renderPrompt', () => {
  it('does not HTML-escape: prompts are not HTML', () => {
    expect(renderPrompt(version('Fix <b>{{inputs.code}}</b> & "{{inputs.code}}"'), { code: 'a < b && c' }, run)).toBe('Fix <b>a < b && c</b> & "a < b && c"');
  });

  it('is strict: a missing variable is an error, never an empty string', () => {
    expect(() => renderPrompt(version('Hello {{inputs.nobody}}'), {}, run)).toThrow(RenderError);
    expect(() => renderPrompt(version('Hello {{inputs.nobody}}'), {}, run)).toThrow(/"nobody" not defined/);
  });

  it('exposes the connector and the run', () => {
    const text = renderPrompt(version('{{connector.id}}/{{connector.name}} {{run.id}} {{run.trigger}} {{run.attempt}}'), {}, run);
    expect(text).toBe('demo/Demo run-1 manual 1');
  });

  it('formats dates in the connector time zone, and JSON', () => {
    const v = version('{{date}} | {{date run.scheduledFor "YYYY-MM-DD HH:mm ddd"}} | {{date (addDays (now) -1) "DD/MM" tz="UTC"}} | {{json inputs.list 0}}', { timezone: 'Asia/Tokyo' });
    const text = renderPrompt(v, { list: [1, 'two'] }, { ...run, scheduledFor: new Date('2026-03-04T00:00:00Z') });
    expect(text).toBe('2026-03-05 | 2026-03-04 09:00 Wed | 03/03 | [1,"two"]');
  });

  it('renders partials, which see the same context', () => {
    expect(renderPrompt(version('A {{> sig}}', {}, { sig: '-- {{connector.id}}' }), {}, run)).toBe('A -- demo');
  });
});

describe('resolveInputs', () => {
  const declared: Record<string, InputSpec> = {
    pr: { type: 'integer', required: true },
    focus: { type: 'string', enum: ['all', 'security'], default: 'all', required: false },
    draft: { type: 'boolean', required: false },
    tags: { type: 'array', default: [], required: false },
  };

  it('fills defaults, null for optional inputs without one, and coerces command-line strings', () => {
    expect(resolveInputs(declared, { pr: '12', draft: 'yes', tags: '["a"]' }, true)).toEqual({ ok: true, values: { pr: 12, focus: 'all', draft: true, tags: ['a'] } });
  });

  it('lists every problem at once: missing, unknown, wrong type, not in enum', () => {
    const r = resolveInputs(declared, { focus: 'speed', draft: 'maybe', color: 'red' }, true);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'unknown input "color"; declared inputs: pr, focus, draft, tags',
      'input "pr" is required: pass --input pr=…',
      'input "focus" must be one of "all", "security", got "speed"',
      'input "draft" must be boolean, got "maybe"',
    ]);
    expect(resolveInputs(declared, { pr: '1.5' }, true)).toEqual({ ok: false, errors: ['input "pr" must be integer, got "1.5"'] });
  });
});

describe('previewPrompt', () => {
  it('uses default inputs, a placeholder for required ones, and a fixed clock', () => {
    const v = version('{{inputs.pr}} {{inputs.focus}} {{date}}', {
      inputs: { pr: { type: 'integer', required: true }, focus: { type: 'string', default: 'all', required: false } },
    });
    expect(previewPrompt(v)).toBe('<inputs.pr> all 2030-01-01');
  });
});
