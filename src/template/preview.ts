import type { ConnectorVersion } from '../core/types.js';
import { renderPrompt } from './render.js';

/** The fixed clock of previews, so a preview changes only when the connector does. */
export const PREVIEW_TIME = new Date('2030-01-01T09:00:00Z');

/**
 * Renders a version with its default inputs, for plans and diffs. A required input with no
 * default shows as `<inputs.name>` instead of failing the preview.
 */
export function previewPrompt(version: ConnectorVersion): string {
  const inputs: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(version.spec.inputs)) {
    inputs[name] = decl.default !== undefined ? decl.default : decl.required ? `<inputs.${name}>` : null;
  }
  try {
    return renderPrompt(version, inputs, { id: 'preview', trigger: 'schedule', scheduledFor: PREVIEW_TIME, now: PREVIEW_TIME });
  } catch (err) {
    return `(the prompt cannot be previewed: ${(err as Error).message})`;
  }
}
