/** Files above this size are refused before parsing: a connector or prompt is never this big. */
export const MAX_FILE_BYTES = 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a file as UTF-8 text, or says why it is not a text file a connector could be. */
export function decodeText(bytes: Uint8Array): { text: string } | { error: string; hint: string } {
  if (bytes.length > MAX_FILE_BYTES) {
    return {
      error: `the file is ${(bytes.length / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 1024 / 1024} MB`,
      hint: 'a connector file holds settings and a prompt; keep large data out of the repository or fetch it from the agent',
    };
  }
  if (bytes.includes(0)) return { error: 'the file is binary, not YAML text', hint: 'remove it from connectors/ or rename it so it does not end in .yaml/.yml' };
  try {
    return { text: decoder.decode(bytes).replace(/^\uFEFF/, '') };
  } catch {
    return { error: 'the file is not valid UTF-8 text', hint: 'save it as UTF-8' };
  }
}
