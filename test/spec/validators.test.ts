import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');

describe('precompiled schema validators', () => {
  it('match schemas/*.schema.json: a schema edit without `npm run build` would check files against the old schema', () => {
    const fresh = execFileSync(process.execPath, [path.join(root, 'scripts/gen-validators.js'), '--print'], { encoding: 'utf8' });
    const committed = readFileSync(path.join(root, 'src/spec/validators.generated.ts'), 'utf8');
    expect(committed === fresh, 'src/spec/validators.generated.ts is stale: run npm run build (or node scripts/gen-validators.js) and commit it').toBe(true);
  });
});
