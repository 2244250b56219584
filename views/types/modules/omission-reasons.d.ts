// Served by src/http/browser-modules.ts from the server's own wording.
export const OMISSION_PHRASES: typeof import('../../../src/domain/omission-reasons.js').OMISSION_PHRASES;
