// @ts-check
// What the pages tell and ask the user: flags, errors in words, the load-error panel, confirmations.
import { ApiError } from './api-client.js';
import { h, uniqueId } from './dom.js';
import { platform } from './platform.js';

/** @type {Record<string, string>} */
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/**
 * Jira renders flag bodies as HTML, so text handed to AP.flag is escaped first.
 * @param {unknown} text
 */
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** @type {Record<string, string>} */
const FLAG_ICONS = { success: '✓', error: '!', warning: '!', info: 'i' };

/**
 * A Jira flag: the host's own where it has one (AP.flag), otherwise the same thing drawn in the page.
 * @param {{ type?: 'success' | 'error' | 'warning' | 'info', title: string, body?: string }} flag
 * @returns {unknown}
 */
export function showFlag({ type = 'info', title, body = '' }) {
  const close = type === 'error' || type === 'warning' ? 'manual' : 'auto';
  const hostFlag = platform().flag;
  if (hostFlag) return hostFlag({ title: escapeHtml(title), body: escapeHtml(body), type, close });
  let container = document.getElementById('flags');
  if (!container) {
    container = h('div', { id: 'flags', class: 'flags' });
    document.body.appendChild(container);
  }
  const flags = container;
  const flag = h(
    'div',
    { class: ['flag', `flag--${type}`], role: type === 'error' ? 'alert' : 'status' },
    h('span', { class: 'flag__icon', 'aria-hidden': 'true', text: FLAG_ICONS[type] ?? FLAG_ICONS.info }),
    h(
      'div',
      { class: 'flag__body' },
      h('div', { class: 'flag__title', text: title }),
      body ? h('div', { text: body }) : null,
    ),
    h('button', {
      type: 'button',
      class: 'button button--subtle button--compact',
      'aria-label': 'Dismiss',
      text: '×',
      on: { click: () => flag.remove() },
    }),
  );
  flags.appendChild(flag);
  if (close === 'auto') setTimeout(() => flag.remove(), 8000);
  return { close: () => flag.remove() };
}

/**
 * An error flag for a failed call, with what the user can do about it.
 * @param {string} action
 * @param {unknown} error
 */
export function showErrorFlag(action, error) {
  // A bug in the page itself: worth seeing in the browser console.
  if (!(error instanceof ApiError)) console.error(error);
  showFlag({ type: 'error', title: `Could not ${action}`, body: explainError(error) });
}

/** @param {unknown} error */
export function explainError(error) {
  if (!(error instanceof ApiError))
    return 'Something unexpected went wrong in this page. Reload it and try again.';
  if (error.status === 401)
    return `${sentence(error.message)} Your Jira session may have expired: reload the page.`;
  if (error.status >= 500) return `${sentence(error.message)} Try again in a minute.`;
  if (error.fields.length > 0) {
    return `${error.message}: ${error.fields.map((field) => `${field.path || 'feed'}: ${field.message}`).join('; ')}`;
  }
  return error.message;
}

/** @param {string} text */
function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * The error panel shown in place of a list that could not be loaded, with a way to try again.
 * @param {string} title
 * @param {unknown} error
 * @param {() => unknown} retry
 */
export function loadErrorMessage(title, error, retry) {
  return h(
    'div',
    { class: 'section-message section-message--error', role: 'alert' },
    h(
      'div',
      {},
      h('h3', { text: title }),
      h('p', { text: explainError(error) }),
      h('button', { type: 'button', class: 'button', text: 'Try again', on: { click: () => void retry() } }),
    ),
  );
}

/**
 * A modal confirmation (native <dialog>: focus is trapped and Escape cancels). Resolves true on confirm.
 * @param {{ title: string, body: string | Node | (string | Node)[], confirmLabel: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, body, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const titleId = uniqueId('dialog-title');
    const cancel = h('button', { type: 'button', class: 'button button--subtle', text: 'Cancel' });
    const confirm = h('button', {
      type: 'button',
      class: ['button', danger ? 'button--danger' : 'button--primary'],
      text: confirmLabel,
    });
    const dialog = h(
      'dialog',
      { class: 'modal', 'aria-labelledby': titleId },
      h('h2', { id: titleId, text: title, style: 'margin-top:0' }),
      ...(Array.isArray(body) ? body : [body]).map((line) =>
        line instanceof Node ? line : h('p', { text: line }),
      ),
      h('div', { class: 'modal__footer' }, cancel, confirm),
    );
    /** @param {boolean} result */
    const finish = (result) => {
      dialog.close();
      dialog.remove();
      if (trigger instanceof HTMLElement && trigger.isConnected) trigger.focus();
      resolve(result);
    };
    cancel.addEventListener('click', () => finish(false));
    confirm.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    // Jira sizes the frame to its content, so a centred dialog could open far off screen: open it near the trigger.
    const trigger = document.activeElement;
    const top =
      trigger && trigger !== document.body ? trigger.getBoundingClientRect().top + window.scrollY - 80 : 16;
    dialog.style.top = `${Math.max(16, Math.round(top))}px`;
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
