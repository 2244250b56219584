// @ts-check
// The page inside its host: its root element, the "open it from Jira" notice, frame resizing, the clipboard,
// and input pacing.
import { h, replaceChildren } from './dom.js';
import { platform } from './platform.js';

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
