import { readFileSync } from 'node:fs';
import path from 'node:path';

export const HUB_FILE = 'hub.yaml';

/** The bytes of hub.yaml; empty when there is none. Cheap: parsing lives in hub-config.ts. */
export function readHubBytes(root: string): Uint8Array {
  try {
    return readFileSync(path.join(root, HUB_FILE));
  } catch {
    return new Uint8Array();
  }
}
