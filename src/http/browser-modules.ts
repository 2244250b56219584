import { FIELD_SLOTS } from '../domain/field-compatibility.js';
import { TEMPLATE_NAMES } from '../domain/templates.js';

/**
 * Browser modules made from the server's own rules, so the pages never keep a copy that can drift:
 * served under /pages/assets/ and written into the Forge resources by forge:build.
 */
export const BROWSER_MODULES: Readonly<Record<string, string>> = {
  'template-names.js': `export const TEMPLATE_NAMES = ${JSON.stringify(TEMPLATE_NAMES)};\n`,
  'field-slots.js': `/** Field types each picker offers (the API's simplified types). */\nexport const FITS = ${JSON.stringify(
    Object.fromEntries(Object.entries(FIELD_SLOTS).map(([slot, { accepts }]) => [slot, accepts])),
  )};\n`,
};
