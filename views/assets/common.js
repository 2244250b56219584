// @ts-check
// Shared helpers for the Calendar Sync iframe pages. Data only ever reaches the DOM as text nodes.

import { platform, PlatformError } from './platform.js';

/** @typedef {import('../types/api.js').Child} Child */
/** @typedef {import('../types/api.js').PropText} PropText */
/** @typedef {import('../types/api.js').FieldProblem} FieldProblem */

/**
 * Builds an element. props: `class`, `text`, `on` ({ event: handler }), `attrs` (set with setAttribute),
 * `aria-*`/`data-*`/`role`/`for` keys (attributes), anything else as a DOM property.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {import('../types/api.js').Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class')
      element.className = Array.isArray(value)
        ? value.filter(Boolean).join(' ')
        : asText(/** @type {PropText} */ (value));
    else if (key === 'text') element.textContent = asText(/** @type {PropText} */ (value));
    else if (key === 'on')
      for (const [event, handler] of Object.entries(/** @type {Record<string, EventListener>} */ (value)))
        element.addEventListener(event, handler);
    else if (key === 'attrs')
      for (const [name, attr] of Object.entries(/** @type {Record<string, PropText>} */ (value)))
        element.setAttribute(name, String(attr));
    else if (
      key.startsWith('aria-') ||
      key.startsWith('data-') ||
      key === 'role' ||
      key === 'for' ||
      key === 'list'
    )
      element.setAttribute(key, value === true ? 'true' : asText(/** @type {PropText} */ (value)));
    else Reflect.set(element, key, value);
  }
  append(element, children);
  return element;
}

/** @param {PropText} value */
const asText = (value) => String(value);

/**
 * @param {Node} parent
 * @param {Child[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * @template {Node} T
 * @param {T} element
 */
export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

/**
 * @template {Node} T
 * @param {T} element
 * @param {...Child} children
 */
export function replaceChildren(element, ...children) {
  clear(element);
  append(element, children);
  return element;
}

let idCounter = 0;
/** @param {string} prefix */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {FieldProblem[]} [fields]
   */
  constructor(status, code, message, fields = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = Array.isArray(fields) ? fields : [];
  }
}

/**
 * Calls the app's JSON API through the page's host (Connect or Forge); throws ApiError with the server's message.
 * @template [T=unknown] the response's JSON, as the caller's declared type says (views/types/api.d.ts)
 * @param {import('../types/api.js').HttpMethod} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function api(method, path, body) {
  /** @type {{ status: number, body: unknown }} */
  let response;
  try {
    response = await platform().request(method, path, body);
  } catch (error) {
    if (error instanceof PlatformError) throw new ApiError(0, String(error.code), error.message);
    throw new ApiError(
      0,
      'network',
      'Calendar Sync could not be reached. Check your connection and try again.',
    );
  }
  const data = response.body;
  if (response.status < 200 || response.status >= 300) {
    const error =
      data && typeof data === 'object' && 'error' in data
        ? /** @type {{ code?: string, message?: string, fields?: FieldProblem[] } | null} */ (data.error)
        : null;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `Calendar Sync answered with HTTP ${response.status}. Try again in a minute.`,
      error?.fields ?? [],
    );
  }
  return /** @type {T} */ (response.status === 204 ? null : data);
}

/** @type {Record<string, string>} */
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/**
 * Jira renders flag bodies as HTML, so text handed to AP.flag is escaped first.
 * @param {unknown} text
 */
export function escapeHtml(text) {
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

/**
 * @param {string} text
 * @param {HTMLInputElement} [fallbackInput] selected and copied the old way where the clipboard API is refused
 */
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallbackInput) return false;
    fallbackInput.focus();
    fallbackInput.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** @param {string | null | undefined} iso */
export function formatDateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateTimeFormat.format(date);
}

/**
 * @param {string | null | undefined} iso
 * @param {number} [now]
 */
export function formatRelative(iso, now = Date.now()) {
  if (!iso) return 'Never';
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return 'Never';
  const seconds = Math.round((time - now) / 1000);
  /** @type {[Intl.RelativeTimeFormatUnit, number][]} */
  const steps = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 30],
    ['month', 12],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relativeFormat.format(value, unit);
    value = Math.round(value / size);
  }
  return relativeFormat.format(value, 'year');
}

/** A <time> showing relative time, with the exact time as its tooltip. */
/** @param {string | null | undefined} iso */
export function timeElement(iso) {
  if (!iso) return h('span', { class: 'subtle', text: 'Never' });
  return h('time', { dateTime: iso, title: formatDateTime(iso), text: formatRelative(iso) });
}

/** @param {number | null | undefined} ms */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** @param {number | null | undefined} bytes */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}

/** @param {number | null | undefined} value */
export function formatNumber(value) {
  return value === null || value === undefined ? '—' : new Intl.NumberFormat().format(value);
}

/**
 * @param {number} count
 * @param {string} one
 * @param {string} [many]
 */
export function plural(count, one, many = `${one}s`) {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

/**
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @returns {((...args: A) => void) & { cancel(): void }}
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @param {A} args */
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  return Object.assign(debounced, { cancel: () => clearTimeout(timer) });
}

/** Tells the hosting Jira page the content height changed. */
export function resizeFrame() {
  platform().resize();
}

/** The element every page template renders into (`<main id="app">`). */
export function pageRoot() {
  const root = document.getElementById('app');
  if (!root) throw new Error('This page has no #app element');
  return root;
}

/** The page's "not inside Jira" notice when neither Connect's all.js nor Forge's bridge is there. */
/** @param {HTMLElement} root */
export function requireHost(root) {
  if (platform().available) return true;
  replaceChildren(
    root,
    h(
      'div',
      { class: 'section-message section-message--warning', role: 'alert' },
      h(
        'div',
        {},
        h('h3', { text: 'Open this page from Jira' }),
        h('p', {
          text: 'Calendar Sync pages run inside Jira. Open Jira and choose Apps → My calendars, or Jira settings → Apps → Calendar Sync feeds.',
        }),
      ),
    ),
  );
  return false;
}
