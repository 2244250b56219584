// @ts-check
// The feed editor: a form over the feed configuration (src/domain/feed-config.ts), with preview and save.
// Each section is its own module (editor-*.js); this one lays them out, reads the whole configuration, and
// puts the server's problems with it next to the controls they are about.
import { api, ApiError } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { explainError, showErrorFlag, showFlag } from './feedback.js';
import { plural } from './formats.js';
import { resizeFrame } from './page-host.js';
import { DEFAULT_CONFIG } from './feed-defaults.js';
import { AccessSection } from './editor-access.js';
import { ContentSection } from './editor-content.js';
import { RulesSection } from './editor-rules.js';
import { rightsNotice, SourceSection } from './editor-source.js';
import { WindowSection } from './editor-window.js';
import { explainerSection } from './explainer.js';
import { renderPreview } from './preview.js';

/** @typedef {import('../types/api.js').EditorLookups} EditorLookups */
/** @typedef {import('../types/api.js').FeedView} FeedView */
/** @typedef {import('../types/api.js').FieldProblem} FieldProblem */
/** @typedef {import('../types/api.js').Preview} Preview */
/** @typedef {import('./form-fields.js').Field} Field */
/** @typedef {import('./form-fields.js').Register} Register */
/** @typedef {{ path: string, field: Field }} Entry */
/** @typedef {{ problem: FieldProblem, entry: Entry | null }} PlacedProblem */

/**
 * What the error summary calls each top-level part of the configuration.
 * @type {Record<string, string>}
 */
const PATH_LABELS = {
  name: 'Feed name',
  source: 'Issues',
  timeZone: 'Feed time zone',
  content: 'What events say',
  window: 'Date window',
  issueCap: 'Issue cap',
  syncIntervalMinutes: 'Sync',
  access: 'Who can subscribe',
  removedIssues: 'Removed issues',
  rules: 'Event rules',
};

export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Whether a problem reported at `reported` is about the control registered at `registered`.
 * @param {string} registered
 * @param {string} reported
 */
const samePath = (registered, reported) => {
  const a = registered.split('.');
  const b = reported.split('.');
  return a.length <= b.length && a.every((segment, i) => segment === b[i]);
};

/**
 * The control a problem belongs to: the one on screen with the longest path the problem's path falls
 * under. An error line without a control of its own is hidden until it has a message, so it always counts.
 * @param {Entry[]} entries
 * @param {string} path
 */
function entryFor(entries, path) {
  /** @type {Entry | null} */
  let best = null;
  for (const entry of entries) {
    if (!entry.field.errorOnly && entry.field.element.closest('[hidden]')) continue;
    if (samePath(entry.path, path) && (!best || entry.path.length > best.path.length)) best = entry;
  }
  return best;
}

/**
 * What the error summary calls the part of the configuration at `path`.
 * @param {string} path
 */
function describePath(path) {
  if (!path) return 'Feed';
  const rule = /^rules\.(\d+)/.exec(path);
  if (rule) return `Event rule ${Number(rule[1]) + 1}`;
  const [section = ''] = path.split('.');
  return PATH_LABELS[section] ?? path;
}

/**
 * A problem in the summary: a link to its control when it was placed at one.
 * @param {PlacedProblem} placed
 */
function problemLink({ problem, entry }) {
  const text = `${describePath(problem.path)}: ${problem.message}`;
  if (!entry) return text;
  return h('a', {
    href: '#',
    text,
    on: {
      click: (event) => {
        event.preventDefault();
        entry.field.focusTarget.focus();
      },
    },
  });
}

/** The editor for one feed (or a new one) rendered into `root`. */
export class FeedEditor {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {FeedView | null} options.feed the feed being edited, null for a new one
   * @param {EditorLookups} options.lookups
   * @param {(feed: FeedView) => void} options.onSaved
   * @param {() => void} options.onCancel
   */
  constructor({ root, feed, lookups, onSaved, onCancel }) {
    this.root = root;
    this.feed = feed;
    this.onSaved = onSaved;
    this.onCancel = onCancel;
    this.fieldsById = new Map((lookups.fields ?? []).map((field) => [field.id, field]));
    const config = structuredClone(feed ? feed.config : { ...DEFAULT_CONFIG, timeZone: browserTimeZone() });
    /**
     * The sections' controls under their config paths; the rule cards' are asked for when needed.
     * @type {Entry[]}
     */
    this.entries = [];
    this.busy = false;
    this.errorSummary = h('div', {
      class: 'section-message section-message--error',
      role: 'alert',
      tabIndex: -1,
      hidden: true,
    });
    /** @type {Register} */
    const register = (path, field) => {
      this.entries.push({ path, field });
      return field;
    };
    this.source = new SourceSection(config, register);
    this.rules = new RulesSection(config.rules ?? [], lookups.fields, this.fieldsById, register);
    this.content = new ContentSection(
      config.content ?? DEFAULT_CONFIG.content,
      { siteBaseUrl: lookups.siteBaseUrl, fieldName: this.fieldName },
      register,
    );
    this.dateWindow = new WindowSection(config, register);
    this.access = new AccessSection(config.access ?? DEFAULT_CONFIG.access, lookups, register);
    this.rightsNotice = rightsNotice(feed, lookups);
    this.saveButton = h('button', {
      type: 'submit',
      class: 'button button--primary',
      text: feed ? 'Save changes' : 'Create feed',
    });
    this.previewButton = h('button', {
      type: 'button',
      class: 'button',
      text: 'Preview',
      on: { click: () => void this.preview() },
    });
    this.previewBody = h(
      'div',
      { 'aria-live': 'polite' },
      h('p', {
        class: 'subtle',
        text: 'See what the feed will contain before you save it: the next events, a month view and the feed size.',
      }),
    );
    this.render();
  }

  /** @type {(id: string) => string | null} */
  fieldName = (id) => this.fieldsById.get(id)?.name ?? null;

  /** Lays the editor out in `root`: the form with its sections and actions, the preview beside it. */
  render() {
    const title = this.feed ? `Edit “${this.feed.name}”` : 'Create a feed';
    const form = h(
      'form',
      {
        noValidate: true,
        'aria-label': title,
        on: {
          submit: (event) => {
            event.preventDefault();
            void this.save();
          },
        },
      },
      this.errorSummary,
      this.source.element,
      this.rules.element,
      this.content.element,
      this.dateWindow.element,
      this.access.element,
      this.rightsNotice,
      h(
        'div',
        { class: 'editor__actions' },
        this.saveButton,
        this.previewButton,
        h('button', {
          type: 'button',
          class: 'button button--subtle',
          text: 'Cancel',
          on: { click: () => this.onCancel() },
        }),
      ),
    );
    replaceChildren(
      this.root,
      h(
        'p',
        {},
        h('a', {
          href: '#',
          text: '← All feeds',
          on: {
            click: (event) => {
              event.preventDefault();
              this.onCancel();
            },
          },
        }),
      ),
      h('h2', { style: 'margin-top:0', id: 'editor-heading', text: title }),
      h('div', { class: 'editor' }, h('div', { class: 'editor__main' }, form), this.previewSide()),
    );
    resizeFrame();
  }

  /** The preview panel, and under it "Why isn't it there?" for the configuration as it stands in the form. */
  previewSide() {
    return h(
      'aside',
      { class: 'editor__side panel panel--sunken', 'aria-labelledby': 'preview-heading' },
      h(
        'div',
        { class: 'toolbar', style: 'justify-content:space-between' },
        h('h3', { id: 'preview-heading', style: 'margin:0', text: 'Preview' }),
        h('button', {
          type: 'button',
          class: 'button button--compact',
          text: 'Run preview',
          on: { click: () => void this.preview() },
        }),
      ),
      this.previewBody,
      explainerSection(() => this.readConfig()),
    );
  }

  /** Called when the admin leaves the editor: nothing it still has scheduled reaches the server. */
  close() {
    this.source.close();
    this.access.close();
  }

  readConfig() {
    return {
      ...this.source.read(),
      rules: this.rules.read(),
      content: this.content.read(),
      ...this.dateWindow.read(),
      access: this.access.read(),
    };
  }

  allEntries() {
    return [...this.entries, ...this.rules.cardEntries()];
  }

  clearErrors() {
    for (const { field } of this.allEntries()) field.clearError();
    this.source.restoreJqlProblem();
    this.content.showExamples();
    this.errorSummary.hidden = true;
    replaceChildren(this.errorSummary);
  }

  /**
   * Puts each server-side problem next to its control and lists them all on top, focusing the first placed.
   * @param {FieldProblem[]} problems
   * @param {string} heading
   */
  showFieldErrors(problems, heading) {
    const links = this.placeProblems(problems);
    replaceChildren(
      this.errorSummary,
      h(
        'div',
        {},
        h('h3', { text: heading }),
        h(
          'ul',
          {},
          links.map((link) => h('li', {}, problemLink(link))),
        ),
      ),
    );
    this.errorSummary.hidden = false;
    const first = links.find((link) => link.entry)?.entry;
    (first ? first.field.focusTarget : this.errorSummary).focus();
    resizeFrame();
  }

  /**
   * Shows each problem at its control, all of one control's problems in one message.
   * @param {FieldProblem[]} problems
   * @returns {PlacedProblem[]}
   */
  placeProblems(problems) {
    const entries = this.allEntries();
    /** @type {Map<Entry, string[]>} */
    const placed = new Map();
    const links = problems.map((problem) => {
      const entry = entryFor(entries, problem.path ?? '');
      if (entry) placed.set(entry, [...(placed.get(entry) ?? []), problem.message]);
      return { problem, entry };
    });
    for (const [entry, messages] of placed) entry.field.setError(messages.join(' '));
    return links;
  }

  /**
   * Disables both buttons while a call runs, `button` showing a spinner and `label` meanwhile.
   * @param {boolean} busy
   * @param {HTMLButtonElement} button
   * @param {string} [label]
   */
  setBusy(busy, button, label) {
    this.busy = busy;
    for (const candidate of [this.saveButton, this.previewButton]) candidate.disabled = busy;
    if (busy) {
      button.dataset.label = button.textContent;
      replaceChildren(button, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ` ${label}`);
    } else if (button.dataset.label) {
      replaceChildren(button, button.dataset.label);
    }
  }

  async preview() {
    if (this.busy) return;
    this.clearErrors();
    const config = this.readConfig();
    this.setBusy(true, this.previewButton, 'Previewing…');
    replaceChildren(
      this.previewBody,
      h(
        'p',
        { class: 'subtle' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        ' Asking Jira for the issues…',
      ),
    );
    try {
      const of = this.feed ? `?feedId=${encodeURIComponent(this.feed.id)}` : '';
      /** @type {Preview} */
      const preview = await api('POST', `feeds/preview${of}`, config);
      renderPreview(this.previewBody, preview, { timeZone: config.timeZone, fieldName: this.fieldName });
      this.content.previewed(preview);
    } catch (error) {
      replaceChildren(
        this.previewBody,
        h('p', { class: 'field-error', text: `No preview: ${explainError(error)}` }),
      );
      if (error instanceof ApiError && error.status === 400 && error.fields.length > 0) {
        this.showFieldErrors(error.fields, 'Fix these before the preview can run');
      } else {
        showErrorFlag('preview the feed', error);
      }
    } finally {
      this.setBusy(false, this.previewButton);
      resizeFrame();
    }
  }

  async save() {
    if (this.busy) return;
    this.clearErrors();
    const config = this.readConfig();
    this.setBusy(true, this.saveButton, 'Saving…');
    try {
      /** @type {FeedView} */
      const saved = this.feed
        ? await api('PUT', `feeds/${encodeURIComponent(this.feed.id)}`, config)
        : await api('POST', 'feeds', config);
      showFlag({
        type: 'success',
        title: this.feed ? 'Feed saved' : 'Feed created',
        body: `“${saved.name}” is syncing with Jira now.`,
      });
      this.setBusy(false, this.saveButton);
      this.onSaved(saved);
    } catch (error) {
      this.setBusy(false, this.saveButton);
      if (error instanceof ApiError && error.status === 400 && error.fields.length > 0) {
        this.showFieldErrors(error.fields, `${plural(error.fields.length, 'problem')} to fix before saving`);
        showFlag({
          type: 'error',
          title: 'The feed was not saved',
          body: `${error.message}. Fix the highlighted fields and save again.`,
        });
      } else {
        showErrorFlag('save the feed', error);
      }
    }
  }
}
