import type { JiraIssueLike } from './feed-event.js';

export const TEMPLATE_NAMES = [
  'key',
  'summary',
  'status',
  'assignee',
  'reporter',
  'priority',
  'issuetype',
  'project',
  'duedate',
  'url',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const SUMMARY_MAX_CHARS = 255;
export const DESCRIPTION_MAX_CHARS = 4000;

const FIELD_ID = /^[a-z][a-zA-Z0-9_]{0,63}$/;
const PLACEHOLDER = /\{([^{}\n]*)\}/g;
const ADF_MAX_DEPTH = 64;

/** The Jira field each named placeholder reads; `key` and `url` come from the issue itself. */
const NAME_TO_FIELD: Record<TemplateName, string | null> = {
  key: null,
  url: null,
  summary: 'summary',
  status: 'status',
  assignee: 'assignee',
  reporter: 'reporter',
  priority: 'priority',
  issuetype: 'issuetype',
  project: 'project',
  duedate: 'duedate',
};

type TemplatePart = { text: string } | { name: TemplateName } | { field: string };
export type ParsedTemplate = TemplatePart[];

export type TemplateParseResult = { ok: true; template: ParsedTemplate } | { ok: false; message: string };

export function validPlaceholderList(): string {
  return [...TEMPLATE_NAMES.map((name) => `{${name}}`), '{field:<field id>}'].join(', ');
}

export function parseTemplate(source: string): TemplateParseResult {
  const parts: TemplatePart[] = [];
  const unknown: string[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    last = match.index + match[0].length;
    const body = (match[1] ?? '').trim();
    if ((TEMPLATE_NAMES as readonly string[]).includes(body)) {
      parts.push({ name: body as TemplateName });
    } else if (body.startsWith('field:') && FIELD_ID.test(body.slice('field:'.length).trim())) {
      parts.push({ field: body.slice('field:'.length).trim() });
    } else {
      unknown.push(match[0]);
    }
  }
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `Unknown placeholder ${[...new Set(unknown)].join(', ')}. Valid placeholders: ${validPlaceholderList()}`,
    };
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return { ok: true, template: parts };
}

/** Placeholders a template uses, as written without braces ('key', 'field:customfield_10050'), in order of first use. */
export function templatePlaceholders(template: string): string[] {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return [];
  const names = parsed.template.flatMap((part) =>
    'name' in part ? [part.name] : 'field' in part ? [`field:${part.field}`] : [],
  );
  return [...new Set(names)];
}

/** Jira fields a template reads (so a sync can request exactly those). */
export function templateJiraFields(template: string): string[] {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return [];
  const fields = parsed.template.flatMap((part) =>
    'name' in part ? (NAME_TO_FIELD[part.name] ?? []) : 'field' in part ? [part.field] : [],
  );
  return [...new Set(fields)];
}

export type TemplateContext = { jiraBaseUrl: string };

export function issueUrl(jiraBaseUrl: string, issueKey: string): string {
  return siteUrl(jiraBaseUrl, `/browse/${encodeURIComponent(issueKey.toWellFormed())}`);
}

/** The board a sprint belongs to, in Jira's UI. */
export function boardUrl(jiraBaseUrl: string, boardId: string): string {
  return siteUrl(jiraBaseUrl, `/secure/RapidBoard.jspa?rapidView=${encodeURIComponent(boardId)}`);
}

export function versionUrl(jiraBaseUrl: string, projectKey: string, versionId: string): string {
  const project = encodeURIComponent(projectKey.toWellFormed());
  return siteUrl(jiraBaseUrl, `/projects/${project}/versions/${encodeURIComponent(versionId)}`);
}

function siteUrl(jiraBaseUrl: string, path: string): string {
  return `${jiraBaseUrl.replace(/\/+$/, '')}${path}`;
}

/**
 * The template's text for `issue`. It stops once the text is certainly longer than `maxChars` after
 * `finishSummary` or `finishDescription` (control characters and spacing removed): a template that repeats a
 * large field costs about the limit, never the field size times the repeats.
 */
export function renderTemplate(
  template: ParsedTemplate,
  issue: JiraIssueLike,
  context: TemplateContext,
  maxChars = DESCRIPTION_MAX_CHARS,
): string {
  let out = '';
  let checkAt = 2 * maxChars + 64;
  for (const part of template) {
    if ('text' in part) out += part.text;
    else if ('field' in part) out += formatFieldValue(issue.fields[part.field]);
    else if (part.name === 'key') out += issue.key;
    else if (part.name === 'url') out += issueUrl(context.jiraBaseUrl, issue.key);
    else out += formatFieldValue(issue.fields[NAME_TO_FIELD[part.name] ?? part.name]);
    if (out.length < checkAt) continue;
    // Raw length overstates what is kept (control characters go); count what finishing keeps, rarely.
    if (codePointCount(cleanText(out).replace(/\s+/g, ' ').trim(), maxChars + 16) > maxChars + 16) break;
    checkAt = 2 * out.length;
  }
  return out;
}

/** Renders a summary: one line, control characters removed, at most 255 characters. */
export function finishSummary(text: string): string {
  return truncate(joinLines(cleanText(text)).trim(), SUMMARY_MAX_CHARS);
}

/** Renders a description: control characters other than \n removed, at most 4000 characters. */
export function finishDescription(text: string): string {
  return truncate(
    trimLineEnds(cleanText(text))
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    DESCRIPTION_MAX_CHARS,
  );
}

// eslint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029]/;

// The plain regexes /\s*\n\s*/ and /[ \t]+\n/ backtrack quadratically over a long run of spaces with no
// line break (100 000 spaces took 30 s); matching each run once and deciding in a callback stays linear.

/** Each run of white space that holds a line break becomes one space. */
function joinLines(text: string): string {
  return text.replace(/\s+/g, (run) => (run.includes('\n') ? ' ' : run));
}

/** Spaces and tabs just before a line break removed. */
function trimLineEnds(text: string): string {
  return text.replace(/[ \t]+/g, (run, offset: number) => (text[offset + run.length] === '\n' ? '' : run));
}

/** Plain text safe to hand to a renderer: \n as the only line break, no other control characters, well-formed UTF-16. */
export function cleanText(text: string): string {
  // Every render cleans every field of every event again, and nearly all of them are clean already.
  if (!NEEDS_CLEANING.test(text) && text.isWellFormed()) return text;
  return (
    text
      .toWellFormed()
      .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
      .replace(/\t/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '')
  );
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });
// eslint-disable-next-line no-control-regex
const ONE_CODE_POINT_GRAPHEMES = /^[\u0000-\u000c\u000e-\u02ff]*$/;

/**
 * Cuts to at most `max` code points, ending in '…' when something was cut. The cut falls between
 * graphemes, so an emoji sequence or a letter with its accents is kept whole or dropped whole.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max || codePointCount(text, max) <= max) return text;
  // Below U+0300 every character but CR (which pairs with LF) is a grapheme of its own: when the text up to the
  // cut lies there, the cut is plain slicing, without segmenting thousands of characters.
  if (max >= 1 && ONE_CODE_POINT_GRAPHEMES.test(text.slice(0, max + 1)))
    return `${text.slice(0, max - 1).trimEnd()}…`;
  let kept = 0;
  let end = 0;
  // The segmenter is lazy: a 200 KB field costs only the graphemes before the cut.
  for (const { segment, index } of GRAPHEMES.segment(text)) {
    const size = codePointCount(segment, max);
    if (kept + size > max - 1) break;
    kept += size;
    end = index + segment.length;
  }
  return `${text.slice(0, end).trimEnd()}…`;
}

/** Code points in `text`, counting no further than `limit + 1`. */
function codePointCount(text: string, limit: number): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
    if (count > limit) break;
  }
  return count;
}

/** Plain text of a Jira field value: users by display name, options by value, arrays comma-joined, ADF as text. */
export function formatFieldValue(value: unknown): string {
  return formatValue(value, 0);
}

function formatValue(value: unknown, depth: number): string {
  // Custom fields of some apps hold arbitrary JSON; nesting beyond this is not worth a stack overflow.
  if (depth > ADF_MAX_DEPTH || value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) {
    return value
      .map((item) => formatValue(item, depth + 1))
      .filter((item) => item !== '')
      .join(', ');
  }
  if (typeof value !== 'object') return '';
  const record = value as Record<string, unknown>;
  if (record['type'] === 'doc' && Array.isArray(record['content'])) return adfToText(record);
  if (typeof record['displayName'] === 'string') return record['displayName'];
  if (typeof record['value'] === 'string') {
    const child = formatValue(record['child'], depth + 1);
    return child ? `${record['value']} / ${child}` : record['value'];
  }
  if (typeof record['name'] === 'string') return record['name'];
  if (typeof record['key'] === 'string') return record['key'];
  return '';
}

/** Plain text of an Atlassian Document Format node tree. */
export function adfToText(doc: unknown): string {
  return adfNode(doc, 0)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const BLOCK_NODES = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'panel',
  'rule',
  'mediaSingle',
]);

function adfNode(node: unknown, depth: number): string {
  if (depth > ADF_MAX_DEPTH || node === null || typeof node !== 'object') return '';
  const record = node as { type?: unknown; text?: unknown; attrs?: unknown; content?: unknown };
  const attrs = (record.attrs !== null && typeof record.attrs === 'object' ? record.attrs : {}) as Record<
    string,
    unknown
  >;
  const children = (separator = ''): string =>
    Array.isArray(record.content)
      ? record.content.map((child) => adfNode(child, depth + 1)).join(separator)
      : '';
  switch (record.type) {
    case 'text':
      return typeof record.text === 'string' ? record.text : '';
    case 'hardBreak':
      return '\n';
    case 'mention':
    case 'emoji':
    case 'status':
      return stringAttr(attrs, 'text') || stringAttr(attrs, 'shortName');
    case 'inlineCard':
    case 'blockCard':
    case 'embedCard':
      return stringAttr(attrs, 'url');
    case 'date': {
      const timestamp = Number(stringAttr(attrs, 'timestamp'));
      return Number.isFinite(timestamp) && stringAttr(attrs, 'timestamp') !== ''
        ? new Date(timestamp).toISOString().slice(0, 10)
        : '';
    }
    case 'bulletList':
      return listItems(record.content, depth, () => '• ');
    case 'orderedList': {
      const start = typeof attrs['order'] === 'number' ? attrs['order'] : 1;
      return listItems(record.content, depth, (index) => `${start + index}. `);
    }
    case 'table':
      return `${children()}\n`;
    case 'tableRow':
      return `${Array.isArray(record.content) ? record.content.map((cell) => adfNode(cell, depth + 1).trim()).join(' | ') : ''}\n`;
    default:
      if (typeof record.type === 'string' && BLOCK_NODES.has(record.type)) return `${children()}\n`;
      return children();
  }
}

function listItems(items: unknown, depth: number, marker: (index: number) => string): string {
  if (!Array.isArray(items)) return '';
  return items.map((item, index) => `${marker(index)}${adfNode(item, depth + 1).trim()}\n`).join('');
}

function stringAttr(attrs: Record<string, unknown>, name: string): string {
  const value = attrs[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
