import { describe, expect, it } from 'vitest';
import { jsonErrorPosition } from '../../src/core/json-error.js';

describe('jsonErrorPosition', () => {
  it('finds nothing wrong in valid JSON, whatever its shape', () => {
    const values: unknown[] = [{}, [], 0, -1.5e-3, 'a "quoted" \\ \u0001 é', null, true, { a: [1, { b: 'c' }, []], d: { e: null } }, [[[]]], { '': '' }];
    for (const v of values) {
      expect(jsonErrorPosition(JSON.stringify(v))).toBeNull();
      expect(jsonErrorPosition(` ${JSON.stringify(v, null, 2)}\n`)).toBeNull();
    }
  });

  it('points at the line and column where the text stops being JSON', () => {
    const record = JSON.stringify({ id: 'x', status: 'success', result: 'ok' }, null, 2); // 5 lines
    const lines = record.split('\n');
    expect(jsonErrorPosition([lines[0], lines[1], '<<<<<<< HEAD', ...lines.slice(2)].join('\n'))).toEqual({ line: 3, column: 1 });
    expect(jsonErrorPosition('{\n  "a": 1,\n}')).toEqual({ line: 3, column: 1 }); // trailing comma
    expect(jsonErrorPosition('{\n  "a": "unterminated\n}')).toEqual({ line: 2, column: 21 }); // a raw newline in a string, at the end of line 2
    expect(jsonErrorPosition('{"a": 1')).toEqual({ line: 1, column: 8 }); // truncated
    expect(jsonErrorPosition('{"a": 1} x')).toEqual({ line: 1, column: 10 }); // something after the value
    expect(jsonErrorPosition('{"a": tru}')).toEqual({ line: 1, column: 7 });
    expect(jsonErrorPosition('')).toEqual({ line: 1, column: 1 });
  });
});
