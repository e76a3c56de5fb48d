import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');

describe('precompiled schema validators', () => {
  it('match schemas/*.schema.json: a schema edit without `npm run build` would check files against the old schema', () => {
    for (const [name, file] of [['connector', 'src/spec/validators.generated.ts'], ['hub', 'src/spec/hub-validator.generated.ts']]) {
      const fresh = execFileSync(process.execPath, [path.join(root, 'scripts/gen-validators.js'), '--print', name as string], { encoding: 'utf8' });
      const committed = readFileSync(path.join(root, file as string), 'utf8');
      expect(committed === fresh, `${file} is stale: run npm run build (or node scripts/gen-validators.js) and commit it`).toBe(true);
    }
  });
});
