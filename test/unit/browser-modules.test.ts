import { describe, expect, it } from 'vitest';
import { FIELD_SLOTS } from '../../src/domain/field-compatibility.js';
import { TEMPLATE_NAMES } from '../../src/domain/templates.js';
import { BROWSER_MODULES } from '../../src/http/browser-modules.js';

const load = async (file: string): Promise<Record<string, unknown>> =>
  (await import(
    `data:text/javascript;base64,${Buffer.from(BROWSER_MODULES[file]!).toString('base64')}`
  )) as Record<string, unknown>;

describe('browser modules made from the server rules', () => {
  it('give the editor exactly the field types the server accepts for each rule slot', async () => {
    const { FITS } = await load('field-slots.js');
    expect(FITS).toEqual(
      Object.fromEntries(Object.entries(FIELD_SLOTS).map(([slot, { accepts }]) => [slot, [...accepts]])),
    );
  });

  it('give the editor exactly the server’s template placeholder names', async () => {
    const { TEMPLATE_NAMES: names } = await load('template-names.js');
    expect(names).toEqual([...TEMPLATE_NAMES]);
  });
});
