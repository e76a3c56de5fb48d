import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';

let ajv: Ajv2020 | undefined;

/** Ajv for the JSON Schemas users write in `output.schema`: lenient about unknown keywords. */
export function userSchemaAjv(): Ajv2020 {
  if (!ajv) {
    // Loaded here, on first use: only connectors with output.schema need ajv, and loading it costs every command ~100 ms.
    const require = createRequire(import.meta.url);
    const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    ajv = new Ajv({ allErrors: true, strict: false });
    // ajv-formats is CommonJS; its default export is the plugin function.
    (require('ajv-formats') as { default: (a: Ajv2020) => void }).default(ajv);
  }
  return ajv;
}
