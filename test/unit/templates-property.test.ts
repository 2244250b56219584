import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JiraIssueLike } from '../../src/domain/feed-event.js';
import {
  adfToText,
  cleanText,
  DESCRIPTION_MAX_CHARS,
  finishDescription,
  finishSummary,
  formatFieldValue,
  parseTemplate,
  renderTemplate,
  SUMMARY_MAX_CHARS,
  TEMPLATE_NAMES,
  templateJiraFields,
  templatePlaceholders,
  truncate,
} from '../../src/domain/templates.js';
import { jiraIssue } from '../support/factories.js';
import { anyHostileString, hostileText, hugeText, pollutionObject } from '../support/hostile.js';

const RUNS = 200;
const CONTEXT = { jiraBaseUrl: 'https://acme.atlassian.net' };

// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_LF = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029]/;
const codePoints = (text: string) => Array.from(text).length;
const letters = (text: string) => text.toWellFormed().replace(/[^\p{L}\p{N}]/gu, '');

const placeholder = fc.oneof(
  fc.constantFrom(...TEMPLATE_NAMES).map((name) => ({ source: `{${name}}`, name })),
  fc
    .stringMatching(/^customfield_[0-9]{5}$/)
    .map((field) => ({ source: `{field:${field}}`, name: `field:${field}` })),
  fc.constantFrom(...TEMPLATE_NAMES).map((name) => ({ source: `{ ${name} }`, name })),
);

/** Hostile literal text that cannot form a placeholder (no closing brace). */
const literal = hostileText().map((text) => text.replace(/\}/g, ''));

const templatePieces = fc.array(
  fc.oneof(
    literal.map((text) => ({ text })),
    placeholder,
  ),
  { maxLength: 10 },
);

/** Anything Jira's JSON could hold in a field, and some things only a broken client could. */
const fieldValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyHostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    pollutionObject,
    fc.record({ displayName: anyHostileString }),
    fc.record({ value: anyHostileString, child: tie('value') }),
    fc.record({ name: tie('value'), key: tie('value') }),
    fc.record({ type: fc.constant('doc'), content: fc.array(tie('value'), { maxLength: 4 }) }),
    fc.record({
      type: fc.constantFrom(
        'paragraph',
        'text',
        'hardBreak',
        'mention',
        'date',
        'orderedList',
        'bulletList',
        'table',
        'tableRow',
        'inlineCard',
        'nope',
      ),
      text: tie('value'),
      attrs: fc.oneof(
        fc.constant(null),
        fc.dictionary(fc.constantFrom('text', 'url', 'timestamp', 'order', 'shortName'), tie('value')),
      ),
      content: fc.oneof(fc.array(tie('value'), { maxLength: 4 }), tie('value')),
    }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.anything({
      withNullPrototype: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
  ),
})).value;

const issueFields = fc.dictionary(
  fc.constantFrom(
    ...TEMPLATE_NAMES.filter((name) => name !== 'key' && name !== 'url'),
    'customfield_10050',
    'customfield_12345',
    '__proto__',
    'constructor',
  ),
  fieldValue,
);

describe('template engine under hostile input (property)', () => {
  it(`parses any string without throwing, and keeps only known placeholders (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyHostileString,
          templatePieces.map((pieces) => pieces.map((p) => ('source' in p ? p.source : p.text)).join('')),
        ),
        (source) => {
          const parsed = parseTemplate(source);
          if (!parsed.ok) {
            expect(parsed.message).toMatch(/^Unknown placeholder /);
            expect(templatePlaceholders(source)).toEqual([]);
            expect(templateJiraFields(source)).toEqual([]);
            return;
          }
          for (const name of templatePlaceholders(source)) {
            expect(
              (TEMPLATE_NAMES as readonly string[]).includes(name) ||
                /^field:[a-z][a-zA-Z0-9_]{0,63}$/.test(name),
            ).toBe(true);
          }
          for (const field of templateJiraFields(source)) expect(field).toMatch(/^[a-z][a-zA-Z0-9_]{0,63}$/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`renders literal text verbatim and every placeholder in order (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(templatePieces, (pieces) => {
        const source = pieces.map((piece) => ('source' in piece ? piece.source : piece.text)).join('');
        const parsed = parseTemplate(source);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const issue = jiraIssue();
        const expected = pieces
          .map((piece) =>
            'text' in piece
              ? piece.text
              : piece.name === 'key'
                ? 'ABC-1'
                : piece.name === 'url'
                  ? 'https://acme.atlassian.net/browse/ABC-1'
                  : '',
          )
          .join('');
        expect(renderTemplate(parsed.template, issue, CONTEXT)).toBe(expected);
        expect(templatePlaceholders(source)).toEqual([
          ...new Set(pieces.flatMap((piece) => ('name' in piece ? [piece.name] : []))),
        ]);
      }),
      { numRuns: RUNS },
    );
  });

  it(`renders any field content to a string without throwing (${RUNS} runs)`, () => {
    const parsed = parseTemplate(
      '{key}: {summary} {status} {assignee} {reporter} {priority} {issuetype} {project} {duedate} {url} {field:customfield_10050} {field:customfield_12345}',
    );
    if (!parsed.ok) throw new Error(parsed.message);
    fc.assert(
      fc.property(issueFields, hostileText({ maxFragments: 3 }), (fields, key) => {
        const issue: JiraIssueLike = { id: '1', key: `ABC-${key}`, fields };
        const text = renderTemplate(parsed.template, issue, CONTEXT);
        expect(typeof text).toBe('string');
        expect(typeof formatFieldValue(fields['customfield_10050'])).toBe('string');
      }),
      { numRuns: RUNS },
    );
  });

  it(`finishes any text into one clean, bounded, well-formed summary line (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(anyHostileString, (text) => {
        const summary = finishSummary(text);
        expect(summary).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
        expect(summary).not.toMatch(CONTROL_EXCEPT_LF);
        expect(summary.isWellFormed()).toBe(true);
        expect(codePoints(summary)).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
        expect(summary).toBe(summary.trim());
        expect(finishSummary(summary)).toBe(summary);
        if (codePoints(text) <= SUMMARY_MAX_CHARS) expect(letters(summary)).toBe(letters(text));
      }),
      { numRuns: RUNS },
    );
  });

  it(`finishes any text into a clean, bounded, well-formed description (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(anyHostileString, (text) => {
        const description = finishDescription(text);
        expect(description).not.toMatch(/\r/);
        expect(description).not.toMatch(CONTROL_EXCEPT_LF);
        expect(description).not.toMatch(/\n{3}/);
        expect(description.isWellFormed()).toBe(true);
        expect(codePoints(description)).toBeLessThanOrEqual(DESCRIPTION_MAX_CHARS);
        expect(finishDescription(description)).toBe(description);
        if (codePoints(text) <= DESCRIPTION_MAX_CHARS) expect(letters(description)).toBe(letters(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('cuts huge text at the limits without splitting a character', () => {
    fc.assert(
      fc.property(hugeText(100_000), (text) => {
        for (const [finished, max] of [
          [finishSummary(text), SUMMARY_MAX_CHARS],
          [finishDescription(text), DESCRIPTION_MAX_CHARS],
        ] as const) {
          expect(finished.isWellFormed()).toBe(true);
          expect(codePoints(finished)).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('field values nested beyond reason', () => {
  const nest = (depth: number, wrap: (inner: unknown) => unknown, leaf: unknown = 'deep') => {
    let value: unknown = leaf;
    for (let level = 0; level < depth; level += 1) value = wrap(value);
    return value;
  };

  it.each([
    ['arrays', (inner: unknown) => [inner]],
    ['cascading options', (inner: unknown) => ({ value: 'v', child: inner })],
    ['ADF lists', (inner: unknown) => ({ type: 'bulletList', content: [inner] })],
    ['ADF inside arrays', (inner: unknown) => [{ type: 'doc', content: [inner] }]],
  ])('formats 100 000 levels of %s without overflowing the stack', (_name, wrap) => {
    const value = nest(100_000, wrap);
    expect(typeof formatFieldValue(value)).toBe('string');
    expect(typeof adfToText({ type: 'doc', content: [value] })).toBe('string');
  });

  it(`cleans any string exactly as the full set of replacements would, clean or not (${RUNS} runs)`, () => {
    // The reference is the slow path alone; cleanText skips it for text that needs nothing.
    const fullCleaning = (text: string) =>
      text
        .toWellFormed()
        .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
        .replace(/\t/g, ' ')
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '');
    fc.assert(
      fc.property(
        fc.oneof(anyHostileString, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
        (text) => {
          expect(cleanText(text)).toBe(fullCleaning(text));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('truncate', () => {
  /** The cut by grapheme segmentation alone, which truncate skips for text that cannot need it. */
  const bySegments = (text: string, max: number) => {
    if (Array.from(text).length <= max) return text;
    let kept = 0;
    let end = 0;
    for (const { segment, index } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) {
      const size = Array.from(segment).length;
      if (kept + size > max - 1) break;
      kept += size;
      end = index + segment.length;
    }
    return `${text.slice(0, end).trimEnd()}…`;
  };
  // Characters just below and above U+0300 and those that join graphemes: CR LF, combining marks, ZWJ, emoji
  // modifiers, regional indicators, Hangul jamo.
  const joiners = [
    'a',
    ' ',
    '\n',
    '\r',
    '\u00e9',
    '\u02ff',
    '\u0300',
    '\u0301',
    '\u200d',
    '\u{1F468}',
    '\u{1F3FD}',
    '\u{1F1E9}',
    '\u1100',
    '\u1161',
  ];

  it(`cuts exactly where grapheme segmentation cuts (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc
          .oneof(
            fc.array(fc.constantFrom(...joiners.slice(0, 6)), { maxLength: 60 }),
            fc.array(fc.constantFrom(...joiners), { maxLength: 60 }),
          )
          .map((parts) => parts.join('')),
        fc.integer({ min: 1, max: 40 }),
        (text, max) => {
          expect(truncate(text, max)).toBe(bySegments(text, max));
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });
});
