import { describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { testdir, type Files } from '../helpers/repo.js';

/** Every error of a repository holding these files, as validate prints them. */
async function errorsOf(root: string): Promise<string[]> {
  const desired = await loadDesired(root);
  return desired.files.flatMap((f) => f.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
}

const saving = (saveTo: string, extra = '') => `prompt: Write it.\n${extra}output:\n  saveTo: ${JSON.stringify(saveTo)}\n`;

async function saveToErrors(saveTo: string, files: Files = {}): Promise<string[]> {
  return errorsOf(testdir({ 'connectors/a.yaml': saving(saveTo), ...files }));
}

describe('validate: agent output never becomes configuration', () => {
  it.each([
    ['connectors/x.yaml', 'connectors/'],
    ['connectors/partials/footer.hbs', 'connectors/'],
    ['hub.yaml', 'hub.yaml'],
    ['state/runs/a/x.json', 'state/'],
    ['state/registry/connectors.jsonl', 'state/'],
    ['schemas/connector.schema.json', 'schemas/'],
    ['reports/../connectors/{{connector.id}}.yaml', 'connectors/'],
    ['Connectors/X.yaml', 'connectors/'],
  ])('refuses saveTo %s, located at the field', async (saveTo, what) => {
    const errors = await saveToErrors(saveTo);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/a\.yaml:3:11: error: output\.saveTo: /);
    expect(errors[0]).toContain(what);
    expect(errors[0]).toContain('hint: save results in a directory of their own, like reports/{{connector.id}}.md');
  });

  it.each(['.gitignore', '.github/workflows/x.yml', 'reports/.hidden.md', '.agent-hub/hub.db', '.git/hooks/pre-commit'])('refuses the dotfile path %s', async (saveTo) => {
    const errors = await saveToErrors(saveTo);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/a\.yaml:3:11: error: output\.saveTo: .*starts with "\."/);
  });

  it('refuses files Claude Code reads as instructions, and the connector\'s own prompt file and MCP config', async () => {
    expect((await saveToErrors('docs/CLAUDE.md'))[0]).toContain('instructions');
    const root = testdir({
      'connectors/a.yaml': 'promptFile: ../prompts/a.hbs\nagent:\n  mcpConfig: mcp/servers.json\noutput:\n  saveTo: prompts/a.hbs\n',
      'connectors/b.yaml': 'prompt: x\nagent:\n  mcpConfig: mcp/servers.json\noutput:\n  saveTo: mcp/servers.json\n',
      'prompts/a.hbs': 'Hello', 'mcp/servers.json': '{}',
    });
    const errors = await errorsOf(root);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^connectors\/a\.yaml:5:11: error: output\.saveTo: .*prompt file/);
    expect(errors[1]).toMatch(/^connectors\/b\.yaml:5:11: error: output\.saveTo: .*MCP config/);
  });

  it('accepts ordinary report paths', async () => {
    expect(await saveToErrors('reports/{{connector.id}}/{{run.id}}.md')).toEqual([]);
    expect(await saveToErrors('notes/daily.md')).toEqual([]);
    expect(await saveToErrors('{{inputs.dir}}/x.md', {})).toEqual(['connectors/a.yaml:3:14: error: output.saveTo: {{inputs.dir}} uses input "dir", which is not declared\n    hint: declare it under inputs: (e.g. inputs: { dir: { type: string } })']);
  });
});

describe('validate: no path the hub reads or writes leaves the repository by a symlink', () => {
  it('refuses a saveTo through a committed symlink to a directory outside', async () => {
    const outside = testdir();
    const root = testdir({ 'connectors/a.yaml': saving('reports-link/{{connector.id}}.md') });
    symlinkSync(outside, path.join(root, 'reports-link'));
    const errors = await errorsOf(root);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connectors\/a\.yaml:3:11: error: output\.saveTo: .*"reports-link" is a symlink to .* outside the repository/);
  });

  it('judges only the directories written out in full: a placeholder may become anything', async () => {
    const root = testdir({ 'connectors/a.yaml': saving('{{run.id}}/x.md'), 'connectors/b.yaml': saving('out/{{run.id}}.md') });
    symlinkSync('/tmp', path.join(root, 'x'));
    expect(await errorsOf(root)).toEqual([]);
  });

  it('refuses a saveTo through a symlink inside the repository too (a commit would replace it)', async () => {
    const root = testdir({ 'connectors/a.yaml': saving('latest/a.md'), 'reports/.keep': '' });
    symlinkSync('reports', path.join(root, 'latest'));
    expect((await errorsOf(root))[0]).toMatch(/"latest" is a symlink/);
  });

  it('refuses an mcpConfig or a cwd that leads outside by a symlink', async () => {
    const outside = testdir({ 'servers.json': '{}' });
    const root = testdir({
      'connectors/m.yaml': 'prompt: x\nagent:\n  mcpConfig: mcp/servers.json\n',
      'connectors/c.yaml': 'prompt: x\nagent:\n  cwd: work\n',
    });
    mkdirSync(path.join(root, 'mcp'));
    symlinkSync(path.join(outside, 'servers.json'), path.join(root, 'mcp/servers.json'));
    symlinkSync(outside, path.join(root, 'work'));
    const errors = await errorsOf(root);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^connectors\/c\.yaml:3:8: error: agent\.cwd: .*"work" is a symlink to .* outside the repository/);
    expect(errors[1]).toMatch(/^connectors\/m\.yaml:3:14: error: agent\.mcpConfig: .*"mcp\/servers\.json" is a symlink to .* outside the repository/);
  });

  it('accepts an mcpConfig and a cwd linked inside the repository', async () => {
    const root = testdir({
      'connectors/m.yaml': 'prompt: x\nagent:\n  mcpConfig: mcp.json\n  cwd: here\n',
      'config/mcp.json': '{}', 'work/.keep': '',
    });
    symlinkSync('config/mcp.json', path.join(root, 'mcp.json'));
    symlinkSync('work', path.join(root, 'here'));
    expect(await errorsOf(root)).toEqual([]);
  });

  it('refuses a partial that links outside, and never walks a linked directory', async () => {
    const outside = testdir({ 'secret.hbs': 'the contents of a file outside', 'deep/x.hbs': 'outside too' });
    const root = testdir({ 'connectors/a.yaml': 'prompt: "{{> footer}}"\n', 'connectors/partials/ok.hbs': 'fine' });
    symlinkSync(path.join(outside, 'secret.hbs'), path.join(root, 'connectors/partials/footer.hbs'));
    symlinkSync(outside, path.join(root, 'connectors/partials/linked'));
    const desired = await loadDesired(root);
    expect([...desired.partials.keys()]).toEqual(['ok']);
    expect(desired.global.map(formatDiagnostic)).toEqual([
      `connectors/partials/footer.hbs:1:1: error: "connectors/partials/footer.hbs" is a symlink to ${path.join(outside, 'secret.hbs')}, outside the repository\n    hint: copy the file into the repository instead of linking it`,
      'connectors/partials/linked:1:1: warning: "connectors/partials/linked" is a symlink to a directory; partials in it are not loaded\n    hint: move the partials into connectors/partials/ itself',
    ]);
    expect(desired.files[0]?.diagnostics[0]?.message).toBe('partial "footer" does not exist');
  });
});
