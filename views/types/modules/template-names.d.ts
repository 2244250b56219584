// Served by src/http/browser-modules.ts from the server's own list.
export const TEMPLATE_NAMES: typeof import('../../../src/domain/templates.js').TEMPLATE_NAMES;
