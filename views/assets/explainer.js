// @ts-check
// "Why isn't it there?": one issue followed through the feed's query, rules, window, cap, size budget
// and (optionally) one user's access, answered in words by the server.
import { api, ApiError } from './api-client.js';
import { h, replaceChildren, uniqueId } from './dom.js';
import { explainError } from './feedback.js';
import { resizeFrame } from './page-host.js';

/**
 * @param {string} id
 * @param {string} placeholder
 */
function explainerInput(id, placeholder) {
  return h('input', { id, class: 'input', type: 'text', placeholder, autocomplete: 'off' });
}

/**
 * Asks the server about the issue in `key` (as `user` sees it, when given) and shows its answer in words.
 * @param {{ readConfig: () => unknown, key: HTMLInputElement, user: HTMLInputElement, answer: HTMLElement, button: HTMLButtonElement }} parts
 */
async function askWhy({ readConfig, key, user, answer, button }) {
  button.disabled = true;
  replaceChildren(answer, h('p', { class: 'subtle', text: 'Following the issue through the feed…' }));
  try {
    const accountId = user.value.trim();
    const body = { config: readConfig(), issueKey: key.value, ...(accountId === '' ? {} : { accountId }) };
    /** @type {import('../types/api.js').Explanation} */
    const result = await api('POST', 'feeds/explain', body);
    replaceChildren(
      answer,
      h('p', {
        class: result.present ? 'explain explain--present' : 'explain explain--absent',
        'data-reason': result.reason,
        text: result.message,
      }),
    );
  } catch (error) {
    const fields = error instanceof ApiError ? error.fields.map((field) => field.message).join(' ') : '';
    replaceChildren(answer, h('p', { class: 'field-error', text: fields || explainError(error) }));
  } finally {
    button.disabled = false;
    resizeFrame();
  }
}

/**
 * The editor's side section; `readConfig` gives the configuration as it stands in the form.
 * @param {() => unknown} readConfig
 */
export function explainerSection(readConfig) {
  const keyId = uniqueId('explain-key');
  const userId = uniqueId('explain-user');
  const key = explainerInput(keyId, 'CAL-42');
  const user = explainerInput(userId, 'Atlassian account id (optional)');
  const answer = h('div', { 'aria-live': 'polite', 'data-testid': 'explain-answer' });
  const button = h('button', { type: 'button', class: 'button button--compact', text: 'Explain' });
  const ask = () => void askWhy({ readConfig, key, user, answer, button });
  button.addEventListener('click', ask);
  key.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') ask();
  });

  return h(
    'section',
    { class: 'explainer', 'aria-labelledby': `${keyId}-heading` },
    h('h3', { id: `${keyId}-heading`, text: 'Why isn’t it there?' }),
    h('p', {
      class: 'subtle',
      text: 'Enter an issue key, and optionally a user, to see whether the feed shows it and, if not, why.',
    }),
    h('label', { for: keyId, text: 'Issue key' }),
    key,
    h('label', { for: userId, text: 'User (optional)' }),
    user,
    h('div', { class: 'toolbar' }, button),
    answer,
  );
}
