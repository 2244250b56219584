// @ts-check
// Event title/description templates, rendered in the browser for the editor's live example.
// Follows the placeholder rules of src/domain/templates.ts.

// The names come from the server (src/domain/templates.ts), so the two can never disagree.
import { TEMPLATE_NAMES } from './template-names.js';

export { TEMPLATE_NAMES };

const FIELD_ID = /^[a-z][a-zA-Z0-9_]{0,63}$/;
const PLACEHOLDER = /\{([^{}\n]*)\}/g;

/** @typedef {import('./template-names.js').TEMPLATE_NAMES[number]} TemplateName */
/** @typedef {{ text: string } | { name: TemplateName } | { field: string }} TemplatePart */

export function validPlaceholderList() {
  return [...TEMPLATE_NAMES.map((name) => `{${name}}`), '{field:<field id>}'].join(', ');
}

/**
 * `{ ok: true, parts }` or `{ ok: false, message }` with the same wording the server uses.
 * @param {string} source
 * @returns {{ ok: true, parts: TemplatePart[] } | { ok: false, message: string }}
 */
export function parseTemplate(source) {
  /** @type {TemplatePart[]} */
  const parts = [];
  /** @type {string[]} */
  const unknown = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    last = match.index + match[0].length;
    const body = (match[1] ?? '').trim();
    const name = TEMPLATE_NAMES.find((candidate) => candidate === body);
    if (name) parts.push({ name });
    else if (body.startsWith('field:') && FIELD_ID.test(body.slice(6).trim()))
      parts.push({ field: body.slice(6).trim() });
    else unknown.push(match[0]);
  }
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `Unknown placeholder ${[...new Set(unknown)].join(', ')}. Valid placeholders: ${validPlaceholderList()}`,
    };
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return { ok: true, parts };
}

/**
 * A made-up issue to show what a template produces before any preview has run.
 * @type {{ key: string, fields: Partial<Record<TemplateName, string>> }}
 */
export const SAMPLE_ISSUE = {
  key: 'CAL-42',
  fields: {
    summary: 'Ship the calendar export',
    status: 'In Progress',
    assignee: 'Alice Andersson',
    reporter: 'Bob Brown',
    priority: 'High',
    issuetype: 'Task',
    project: 'Calendar Platform',
    duedate: '2026-06-30',
  },
};

/**
 * Renders parsed parts against a sample issue. `{field:…}` shows the field's name in angle quotes,
 * since the sample has no value for arbitrary fields.
 * @param {TemplatePart[]} parts
 * @param {{ jiraBaseUrl: string | null | undefined, fieldName: (id: string) => string | null }} context
 */
export function renderSample(parts, { jiraBaseUrl, fieldName }) {
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if ('field' in part) out += `‹${fieldName(part.field) ?? part.field}›`;
    else if (part.name === 'key') out += SAMPLE_ISSUE.key;
    else if (part.name === 'url')
      out += `${(jiraBaseUrl || 'https://your-site.atlassian.net').replace(/\/+$/, '')}/browse/${SAMPLE_ISSUE.key}`;
    else out += SAMPLE_ISSUE.fields[part.name] ?? '';
  }
  return out;
}

/** @param {string} text */
export function finishSummary(text) {
  // Not /\s*\n\s*/: it backtracks quadratically over a long run of spaces with no line break.
  const line = text.replace(/\s+/g, (run) => (run.includes('\n') ? ' ' : run)).trim();
  return Array.from(line).length > 255 ? `${Array.from(line).slice(0, 254).join('').trimEnd()}…` : line;
}
