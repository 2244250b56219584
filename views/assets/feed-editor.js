// The feed editor: a form over the feed configuration (src/domain/feed-config.ts), with preview and save.
import {
  ApiError,
  api,
  explainError,
  h,
  plural,
  replaceChildren,
  resizeFrame,
  showErrorFlag,
  showFlag,
} from './common.js';
import { DEFAULT_CONFIG } from './feed-defaults.js';
import { AccessSection } from './editor-access.js';
import { ContentSection } from './editor-content.js';
import { RulesSection } from './editor-rules.js';
import { SourceSection } from './editor-source.js';
import { WindowSection } from './editor-window.js';
import { explainerSection } from './explainer.js';
import { renderPreview } from './preview.js';

export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
const samePath = (registered, reported) => {
  const a = registered.split('.');
  const b = reported.split('.');
  return a.length <= b.length && a.every((segment, i) => segment === b[i]);
};

/** The editor for one feed (or a new one) rendered into `root`. */
export class FeedEditor {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {import('../types/api.js').FeedView | null} options.feed the feed being edited, null for a new one
   * @param {import('../types/api.js').EditorLookups} options.lookups
   * @param {(feed: import('../types/api.js').FeedView) => void} options.onSaved
   * @param {() => void} options.onCancel
   */
  constructor({ root, feed, lookups, onSaved, onCancel }) {
    this.root = root;
    this.feed = feed;
    this.lookups = lookups;
    this.onSaved = onSaved;
    this.onCancel = onCancel;
    this.fieldsById = new Map((lookups.fields ?? []).map((field) => [field.id, field]));
    const initial = feed ? feed.config : { ...DEFAULT_CONFIG, timeZone: browserTimeZone() };
    this.config = structuredClone(initial);
    this.entries = [];
    this.busy = false;
    this.render();
  }

  fieldName = (id) => this.fieldsById.get(id)?.name ?? null;

  register(path, field) {
    this.entries.push({ path, field });
    return field;
  }

  render() {
    const config = this.config;
    this.errorSummary = h('div', {
      class: 'section-message section-message--error',
      role: 'alert',
      tabIndex: -1,
      hidden: true,
    });
    const title = this.feed ? `Edit “${this.feed.name}”` : 'Create a feed';

    const form = h('form', {
      noValidate: true,
      'aria-label': title,
      on: {
        submit: (event) => {
          event.preventDefault();
          void this.save();
        },
      },
    });
    const register = (path, field) => this.register(path, field);
    this.source = new SourceSection(config, register);
    this.rules = new RulesSection(config.rules ?? [], this.lookups.fields, this.fieldsById, register);
    this.content = new ContentSection(
      config.content ?? DEFAULT_CONFIG.content,
      { siteBaseUrl: this.lookups.siteBaseUrl, fieldName: this.fieldName },
      register,
    );
    this.dateWindow = new WindowSection(config, register);
    const sections = [this.source.element, this.rules.element, this.content.element, this.dateWindow.element];
    this.access = new AccessSection(config.access ?? DEFAULT_CONFIG.access, this.lookups, register);
    form.append(this.errorSummary, ...sections, this.access.element);
    this.saveButton = h('button', {
      type: 'submit',
      class: 'button button--primary',
      text: this.feed ? 'Save changes' : 'Create feed',
    });
    this.previewButton = h('button', {
      type: 'button',
      class: 'button',
      text: 'Preview',
      on: { click: () => void this.preview() },
    });
    form.append(
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

    this.previewBody = h(
      'div',
      { 'aria-live': 'polite' },
      h('p', {
        class: 'subtle',
        text: 'See what the feed will contain before you save it: the next events, a month view and the feed size.',
      }),
    );
    const side = h(
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
      h('div', { class: 'editor' }, h('div', { class: 'editor__main' }, form), side),
    );
    resizeFrame();
  }

  // --- Reading, errors, preview and save -----------------------------------------------------------

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

  /** Puts each server-side problem next to its control (longest matching path) and lists them on top. */
  showFieldErrors(problems, heading) {
    const entries = this.allEntries();
    const placed = new Map();
    const links = [];
    for (const problem of problems) {
      const path = problem.path ?? '';
      let best = null;
      for (const entry of entries) {
        if (!entry.field.errorOnly && entry.field.element.closest('[hidden]')) continue;
        if (samePath(entry.path, path) && (!best || entry.path.length > best.path.length)) best = entry;
      }
      if (best) {
        const previous = placed.get(best) ?? [];
        previous.push(problem.message);
        placed.set(best, previous);
      }
      links.push({ problem, entry: best });
    }
    for (const [entry, messages] of placed) entry.field.setError(messages.join(' '));
    replaceChildren(
      this.errorSummary,
      h(
        'div',
        {},
        h('h3', { text: heading }),
        h(
          'ul',
          {},
          links.map(({ problem, entry }) =>
            h(
              'li',
              {},
              entry
                ? h('a', {
                    href: '#',
                    text: `${this.describePath(problem.path)}: ${problem.message}`,
                    on: {
                      click: (event) => {
                        event.preventDefault();
                        entry.field.focusTarget.focus();
                      },
                    },
                  })
                : `${this.describePath(problem.path)}: ${problem.message}`,
            ),
          ),
        ),
      ),
    );
    this.errorSummary.hidden = false;
    const first = links.find((link) => link.entry);
    (first ? first.entry.field.focusTarget : this.errorSummary).focus();
    resizeFrame();
  }

  describePath(path) {
    if (!path) return 'Feed';
    const rule = /^rules\.(\d+)/.exec(path);
    if (rule) return `Event rule ${Number(rule[1]) + 1}`;
    const labels = {
      name: 'Feed name',
      source: 'Issues',
      timeZone: 'Feed time zone',
      content: 'What events say',
      window: 'Date window',
      issueCap: 'Issue cap',
      syncIntervalMinutes: 'Sync',
      access: 'Who can subscribe',
      rules: 'Event rules',
    };
    return labels[path.split('.')[0]] ?? path;
  }

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
      const preview = await api('POST', 'feeds/preview', config);
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
