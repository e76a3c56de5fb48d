import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/spec/load.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { testdir } from '../helpers/repo.js';

// `validate` on connectors with on: and deliver:, through the same loading the hub does.
async function problems(spec: string): Promise<string[]> {
  const desired = await loadDesired(testdir({ 'connectors/c.yaml': spec }));
  return desired.files.flatMap((f) => f.diagnostics.map(formatDiagnostic));
}

describe('validate knows events and deliveries', () => {
  it('accepts the names the issue gives', async () => {
    expect(await problems([
      'on:',
      '  github: { events: [issues], actions: [opened] }',
      '  webhook: { secret: "${HOOK_SECRET}" }',
      'prompt: "Triage: {{event.payload.issue.title}} ({{event.name}}/{{event.action}})"',
      'deliver:',
      '  - { type: webhook, url: "http://127.0.0.1:9999/x" }',
      '  - { type: github-comment, update: true }',
      '',
    ].join('\n'))).toEqual([]);
  });

  it('checks event paths against the events listened to, and refuses event without on:', async () => {
    const wrong = await problems('on: { github: { events: [issues] } }\nprompt: "{{event.payload.pull_request.title}} {{event.nmae}}"\n');
    expect(wrong.join('\n')).toContain('no issues event has a payload field "pull_request"');
    expect(wrong.join('\n')).toContain('{{event.nmae}} is not a field of event');
    expect((await problems('prompt: "{{event.payload.x}}"\n')).join('\n')).toContain('uses the event, but this connector starts on none');
    // A generic webhook's payload is whatever its sender posts.
    expect(await problems('on: { webhook: { token: "${T}" } }\nprompt: "{{event.payload.anything.at.all}}"\n')).toEqual([]);
  });

  it('refuses deliveries that cannot work, naming the field and what to do', async () => {
    const out = (await problems([
      'prompt: hi',
      'deliver:',
      '  - { type: webhook }',
      '  - { type: github-comment, url: "http://x" }',
      '  - { type: github-issue, repository: acme/app, fromResult: true }',
      '',
    ].join('\n'))).join('\n');
    expect(out).toContain('c.yaml:3:5: error: deliver.0: a webhook delivery needs a url');
    // A credential is a reference to the hub's environment, never a value in the file.
    expect((await problems('prompt: hi\ndeliver: [{ type: webhook, url: "http://x", secret: "plain-text" }]\n')).join('\n')).toContain('deliver.0.secret');
    expect(out).toContain('url does not apply to a github-comment delivery');
    expect(out).toContain('needs repository and number when no GitHub event starts the connector');
    expect(out).toContain('fromResult takes fields of a JSON result, but output.format is not json');
  });

  it('checks fromResult fields against the output schema', async () => {
    const spec = (props: string) => `output: { format: json, schema: { type: object, properties: { ${props} } } }\nprompt: hi\ndeliver: [{ type: github-issue, repository: acme/app, fromResult: true }]\n`;
    expect((await problems(spec('body: { type: string }'))).join('\n')).toContain('fromResult takes the result\'s "title", which output.schema does not declare');
    expect(await problems(spec('title: { type: string }, body: { type: string }'))).toEqual([]);
  });

  it('warns when the agent is handed the credential a delivery writes with', async () => {
    const out = (await problems('prompt: hi\nagent: { env: { GH_TOKEN: "${GITHUB_TOKEN}" } }\ndeliver: [{ type: github-comment, repository: a/b, number: 1 }]\n')).join('\n');
    expect(out).toContain('warning: agent.env.GH_TOKEN: the agent gets ${GITHUB_TOKEN}, the credential deliver.0 writes with');
  });

  it('warns about a webhook without a secret of its own', async () => {
    expect((await problems('on: { webhook: {} }\nprompt: hi\n')).join('\n')).toContain('warning: on.webhook: this webhook has no secret or token of its own');
  });
});
