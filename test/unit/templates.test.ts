import { describe, expect, it } from 'vitest';
import type { JiraIssueLike } from '../../src/domain/feed-event.js';
import {
  adfToText,
  finishDescription,
  finishSummary,
  formatFieldValue,
  parseTemplate,
  renderTemplate,
  templateJiraFields,
  templatePlaceholders,
} from '../../src/domain/templates.js';

const issue: JiraIssueLike = {
  id: '10042',
  key: 'ABC-7',
  fields: {
    summary: 'Ship the release',
    status: { name: 'In Progress', statusCategory: { key: 'indeterminate' } },
    assignee: { accountId: 'u-1', displayName: 'Ada Lovelace' },
    reporter: { accountId: 'u-2', displayName: 'Grace Hopper' },
    priority: { name: 'High', id: '2' },
    issuetype: { name: 'Bug' },
    project: { id: '100', key: 'ABC', name: 'Alpha Beta' },
    duedate: '2024-05-01',
    customfield_10050: [{ value: 'Red' }, { value: 'Blue' }],
    customfield_10051: 3.5,
    customfield_10052: { value: 'Europe', child: { value: 'Berlin' } },
    customfield_10053: [{ displayName: 'Ada Lovelace' }, { displayName: 'Alan Turing' }],
    customfield_10054: ['alpha', 'beta'],
  },
};

function render(template: string, subject: JiraIssueLike = issue): string {
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw new Error(parsed.message);
  return renderTemplate(parsed.template, subject, { jiraBaseUrl: 'https://acme.atlassian.net/' });
}

describe('parseTemplate', () => {
  it('rejects unknown placeholders and lists the valid ones', () => {
    const result = parseTemplate('{key} {sumary} {field:Bad}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('{sumary}');
    expect(result.message).toContain('{field:Bad}');
    expect(result.message).toContain('{summary}');
    expect(result.message).toContain('{field:<field id>}');
  });

  it('keeps braces that do not form a placeholder as text', () => {
    expect(render('{ key: {key}')).toBe('{ key: ABC-7');
  });

  it('lists placeholders and the Jira fields they need', () => {
    const template = '{key} {summary} {url} {field:customfield_10050} {summary} {assignee}';
    expect(templatePlaceholders(template)).toEqual([
      'key',
      'summary',
      'url',
      'field:customfield_10050',
      'assignee',
    ]);
    expect(templateJiraFields(template)).toEqual(['summary', 'customfield_10050', 'assignee']);
  });
});

describe('renderTemplate', () => {
  it('renders every named placeholder', () => {
    expect(
      render(
        '{key}|{summary}|{status}|{assignee}|{reporter}|{priority}|{issuetype}|{project}|{duedate}|{url}',
      ),
    ).toBe(
      'ABC-7|Ship the release|In Progress|Ada Lovelace|Grace Hopper|High|Bug|Alpha Beta|2024-05-01|https://acme.atlassian.net/browse/ABC-7',
    );
  });

  it('formats custom fields: options, numbers, cascades, users and string arrays', () => {
    expect(render('{field:customfield_10050}')).toBe('Red, Blue');
    expect(render('{field:customfield_10051}')).toBe('3.5');
    expect(render('{field:customfield_10052}')).toBe('Europe / Berlin');
    expect(render('{field:customfield_10053}')).toBe('Ada Lovelace, Alan Turing');
    expect(render('{field:customfield_10054}')).toBe('alpha, beta');
  });

  it('renders missing values as empty strings', () => {
    const bare: JiraIssueLike = { id: '1', key: 'ABC-1', fields: { assignee: null } };
    expect(render('[{assignee}][{status}][{field:customfield_99999}]', bare)).toBe('[][][]');
  });

  it('turns ADF descriptions into plain text', () => {
    const description = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Plan' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Ask ' },
            { type: 'mention', attrs: { id: 'u-1', text: '@Ada' } },
            { type: 'text', text: ' first' },
            { type: 'hardBreak' },
            { type: 'text', text: 'then ship', marks: [{ type: 'strong' }] },
          ],
        },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }] },
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'two' }] }] },
          ],
        },
        { type: 'paragraph', content: [{ type: 'inlineCard', attrs: { url: 'https://example.com/x' } }] },
      ],
    };
    expect(render('{field:description}', { ...issue, fields: { description } })).toBe(
      'Plan\nAsk @Ada first\nthen ship\n• one\n• two\nhttps://example.com/x',
    );
  });

  it('survives deeply nested ADF without overflowing the stack', () => {
    let node: Record<string, unknown> = { type: 'text', text: 'deep' };
    for (let depth = 0; depth < 100_000; depth += 1) node = { type: 'paragraph', content: [node] };
    expect(() => adfToText({ type: 'doc', content: [node] })).not.toThrow();
  });

  it('never emits iCalendar syntax itself', () => {
    const tricky: JiraIssueLike = {
      id: '1',
      key: 'ABC-1',
      fields: { summary: 'a,b;c\\d\r\nEND:VEVENT\r\nBEGIN:VEVENT' },
    };
    expect(render('{summary}', tricky)).toBe('a,b;c\\d\r\nEND:VEVENT\r\nBEGIN:VEVENT');
  });
});

describe('finishSummary and finishDescription', () => {
  it('makes summaries one line without control characters', () => {
    expect(finishSummary('a\r\nEND:VEVENT\u0000\u0007 b\u2028c\td')).toBe('a END:VEVENT b c d');
  });

  it('keeps newlines in descriptions but drops other control characters', () => {
    expect(finishDescription('line 1\r\nline 2\rline 3\u001b[31m\n\n\n\nend')).toBe(
      'line 1\nline 2\nline 3[31m\n\nend',
    );
  });

  it('caps summaries at 255 and descriptions at 4000 characters without splitting emoji', () => {
    const summary = finishSummary('😀'.repeat(300));
    expect(Array.from(summary)).toHaveLength(255);
    expect(summary.endsWith('…')).toBe(true);
    expect(summary.isWellFormed()).toBe(true);
    expect(Array.from(finishDescription('x'.repeat(5000)))).toHaveLength(4000);
    expect(finishSummary('short')).toBe('short');
  });

  it('cuts between graphemes: an emoji family or an accented letter at the cut is kept or dropped whole', () => {
    const family = '👨‍👩‍👧‍👦'; // 7 code points joined by ZWJ
    const straddling = finishSummary(`${'a'.repeat(250)}${family} tail`);
    expect(straddling).toBe(`${'a'.repeat(250)}…`);
    const fitting = finishSummary(`${'a'.repeat(240)}${family}${family}${family}`);
    expect(fitting).toBe(`${'a'.repeat(240)}${family}${family}…`);
    const accent = 'e\u0301'; // e + combining acute
    expect(finishSummary(`${'b'.repeat(253)}${accent}c`)).toBe(`${'b'.repeat(253)}…`);
    expect(finishSummary(`${'b'.repeat(252)}${accent}cc`)).toBe(`${'b'.repeat(252)}${accent}…`);
    const flags = '🇩🇪'.repeat(200);
    expect(Array.from(finishSummary(flags)).length % 2).toBe(1); // pairs of regional indicators, then '…'
  });

  it('repairs lone surrogates instead of passing broken UTF-16 on', () => {
    expect(finishSummary('a\ud800b').isWellFormed()).toBe(true);
  });
});

describe('formatFieldValue', () => {
  it('handles scalars and unknown objects', () => {
    expect(formatFieldValue(true)).toBe('Yes');
    expect(formatFieldValue(0)).toBe('0');
    expect(formatFieldValue(Number.NaN)).toBe('');
    expect(formatFieldValue({ weird: 1 })).toBe('');
    expect(formatFieldValue([null, 'a', { name: 'b' }])).toBe('a, b');
  });
});

describe('renderTemplate on a template that repeats a large field', () => {
  const big = 'Lorem ipsum dolor sit amet. '.repeat(600);
  const repeated = parseTemplate('{summary} '.repeat(444));
  if (!repeated.ok) throw new Error(repeated.message);
  /** An issue whose summary counts how often it is read. */
  const counted = (summary: string) => {
    const reads = { count: 0 };
    const fields = {
      get summary() {
        reads.count += 1;
        return summary;
      },
    };
    return { reads, issue: { id: '1', key: 'BIG-1', fields } as JiraIssueLike };
  };
  const fullText = (summary: string) => `${summary} `.repeat(444);

  it('stops reading the field once the text is past the longest description', () => {
    const { reads, issue: subject } = counted(big);
    const text = renderTemplate(repeated.template, subject, { jiraBaseUrl: 'https://acme.atlassian.net/' });
    expect(reads.count).toBeLessThan(4);
    expect(text.length).toBeLessThan(big.length * 4);
  });

  it('finishes to exactly what the whole text would', () => {
    const { issue: subject } = counted(big);
    const text = renderTemplate(repeated.template, subject, { jiraBaseUrl: 'https://acme.atlassian.net/' });
    expect(finishSummary(text)).toBe(finishSummary(fullText(big)));
    expect(finishDescription(text)).toBe(finishDescription(fullText(big)));
  });

  it('keeps reading past raw length that finishing would throw away', () => {
    // Control characters count for nothing once finished: 9,000 of them must not stop the text short.
    const noisy = `${'\u0001'.repeat(9000)}kept words`;
    const { reads, issue: subject } = counted(noisy);
    const text = renderTemplate(repeated.template, subject, { jiraBaseUrl: 'https://acme.atlassian.net/' });
    expect(reads.count).toBeGreaterThan(3);
    expect(finishDescription(text)).toBe(finishDescription(fullText(noisy)));
  });
});
