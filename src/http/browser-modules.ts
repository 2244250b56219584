import { feedConfigSchema } from '../domain/feed-config.js';
import { FIELD_SLOTS } from '../domain/field-compatibility.js';
import { OMISSION_PHRASES } from '../domain/omission-reasons.js';
import { TEMPLATE_NAMES } from '../domain/templates.js';

/** A new feed as the editor starts it: the schema's own defaults, around one all-day rule on the due date. */
function feedDefaults(): unknown {
  const parsed = feedConfigSchema.parse({
    name: 'New feed',
    source: { type: 'jql', jql: 'project = NEW' },
    rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
  });
  // Derived on parse, never sent by the editor.
  const { templateFields: _derived, ...content } = parsed.content;
  return { ...parsed, name: '', source: { type: 'jql', jql: '' }, content };
}

/**
 * Browser modules made from the server's own rules, so the pages never keep a copy that can drift:
 * served under /pages/assets/ and written into the Forge resources by forge:build.
 */
export const BROWSER_MODULES: Readonly<Record<string, string>> = {
  'template-names.js': `export const TEMPLATE_NAMES = ${JSON.stringify(TEMPLATE_NAMES)};\n`,
  'field-slots.js': `/** Field types each picker offers (the API's simplified types). */\nexport const FITS = ${JSON.stringify(
    Object.fromEntries(Object.entries(FIELD_SLOTS).map(([slot, { accepts }]) => [slot, accepts])),
  )};\n`,
  'omission-reasons.js': `/** Words for the sync's omission reasons; {field} is the field's name. */\nexport const OMISSION_PHRASES = ${JSON.stringify(OMISSION_PHRASES)};\n`,
  'feed-defaults.js': `/** A new feed's configuration, from the server's schema defaults. */\nexport const DEFAULT_CONFIG = ${JSON.stringify(feedDefaults())};\n`,
};
