import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

let ajv: Ajv2020 | undefined;

/** Ajv for the JSON Schemas users write in `output.schema`: lenient about unknown keywords. */
export function userSchemaAjv(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false });
    // ajv-formats ships CommonJS typings; its default export is the plugin function.
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  }
  return ajv;
}
