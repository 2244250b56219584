/**
 * Words for the event builder's omission reasons ('empty:duedate', 'end-before-start', ...), said the same
 * way by the preview (served to the browser as assets/omission-reasons.js) and the explainer.
 * `{field}` stands for the field's name in quotes.
 */
export const OMISSION_PHRASES: Readonly<Record<string, string>> = {
  empty: '{field} is empty',
  invalid: '{field} holds no usable value',
  'invalid:range': 'the start or end date could not be read',
  'end-before-start': 'the end is before the start',
  'zero-length': 'the event would last zero minutes',
};

export function omissionText(reason: string, fieldName: (id: string) => string | null = (id) => id): string {
  const colon = reason.indexOf(':');
  const field = colon === -1 ? '' : reason.slice(colon + 1);
  const phrase = OMISSION_PHRASES[reason] ?? OMISSION_PHRASES[colon === -1 ? reason : reason.slice(0, colon)];
  return phrase ? phrase.replace('{field}', field ? `“${fieldName(field) ?? field}”` : 'a field') : reason;
}
