import { describe, expect, it } from 'vitest';
import { parseFeedConfig } from '../../src/domain/feed-config.js';
import { FIELD_SLOTS } from '../../src/domain/field-compatibility.js';
import { OMISSION_PHRASES, omissionText } from '../../src/domain/omission-reasons.js';
import { TEMPLATE_NAMES } from '../../src/domain/templates.js';
import { BROWSER_MODULES } from '../../src/http/browser-modules.js';

const load = async (file: string): Promise<Record<string, unknown>> =>
  (await import(
    `data:text/javascript;base64,${Buffer.from(BROWSER_MODULES[file]!).toString('base64')}`
  )) as Record<string, unknown>;

describe('browser modules made from the server rules', () => {
  it('give the preview the words the explainer uses for each omission reason', async () => {
    const { OMISSION_PHRASES: served } = await load('omission-reasons.js');
    expect(served).toEqual(OMISSION_PHRASES);
    expect(omissionText('empty:duedate')).toBe('“duedate” is empty');
    expect(omissionText('invalid:range')).toBe('the start or end date could not be read');
    expect(omissionText('invalid:customfield_1', () => 'Start')).toBe('“Start” holds no usable value');
    expect(omissionText('size-budget')).toBe('size-budget');
  });

  it('give the editor exactly the field types the server accepts for each rule slot', async () => {
    const { FITS } = await load('field-slots.js');
    expect(FITS).toEqual(
      Object.fromEntries(Object.entries(FIELD_SLOTS).map(([slot, { accepts }]) => [slot, [...accepts]])),
    );
  });

  it('start a new feed from the schema defaults, which the server accepts once a name and query are filled in', async () => {
    const { DEFAULT_CONFIG } = (await load('feed-defaults.js')) as {
      DEFAULT_CONFIG: Record<string, unknown>;
    };
    expect(DEFAULT_CONFIG).toMatchObject({
      name: '',
      source: { type: 'jql', jql: '' },
      timeZone: 'UTC',
      issueCap: 5000,
      syncIntervalMinutes: 60,
    });
    expect(DEFAULT_CONFIG['content']).not.toHaveProperty('templateFields');
    const parsed = parseFeedConfig({
      ...DEFAULT_CONFIG,
      name: 'Filled in',
      source: { type: 'jql', jql: 'project = CAL' },
    });
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect({
        ...parsed.config,
        content: { ...parsed.config.content, templateFields: undefined },
      }).toMatchObject({
        ...DEFAULT_CONFIG,
        name: 'Filled in',
        source: { type: 'jql', jql: 'project = CAL' },
      });
  });

  it('give the editor exactly the server’s template placeholder names', async () => {
    const { TEMPLATE_NAMES: names } = await load('template-names.js');
    expect(names).toEqual([...TEMPLATE_NAMES]);
  });
});
