// Served by src/http/browser-modules.ts from the server's own table.
type Slots = typeof import('../../../src/domain/field-compatibility.js').FIELD_SLOTS;

/** Field types each picker offers (the API's simplified types). */
export const FITS: { readonly [Slot in keyof Slots]: readonly string[] };
