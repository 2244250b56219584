// @ts-check
// The feed editor's "Who can subscribe" section: access mode, groups, project roles, personal calendars.
import { api } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { explainError } from './feedback.js';
import { debounce, resizeFrame } from './page-host.js';
import { FITS } from './field-slots.js';
import { checkbox, makeField, radioGroup } from './form-fields.js';

/** @typedef {import('../types/api.js').FeedConfig['access']} Access */
/** @typedef {import('../types/api.js').JiraField} JiraField */
/** @typedef {import('../types/api.js').JiraGroup} JiraGroup */
/** @typedef {import('../types/api.js').ProjectRole} ProjectRole */
/** @typedef {import('./form-fields.js').Register} Register */

/** @type {import('./form-fields.js').RadioOption[]} */
const MODES = [
  [
    'none',
    'Administrators only',
    'Only the shared feed URL on the feeds page; nobody gets a personal calendar.',
  ],
  ['all', 'Everyone on this Jira site', 'Every Jira user finds the feed under My calendars.'],
  ['groups', 'Members of chosen groups', null],
  ['roles', 'Members of project roles', 'People in these roles of the projects the feed’s issues belong to.'],
];

/** The access section's controls; `read()` gives `config.access` as the API expects it. */
export class AccessSection {
  /**
   * @param {Access} access
   * @param {{ fields: JiraField[] | null, roles: ProjectRole[] | null }} lookups
   * @param {Register} register adds a control under its config path, for the error summary
   */
  constructor(access, lookups, register) {
    this.accessMode = radioGroup('access-mode', MODES, access.mode ?? 'none', () => this.showAccess());
    const mode = register(
      'access.mode',
      makeField({
        label: 'Who can subscribe',
        control: this.accessMode.element,
        group: true,
        focusTarget: this.accessMode.inputs[0] ?? null,
      }),
    );
    this.groups = new GroupPicker(access.groups ?? [], register);
    this.roles = new RolePicker(access.roles ?? [], lookups.roles ?? [], register);
    this.userFields = new UserFieldPicker(access.divideByUserFields ?? [], lookups.fields ?? [], register);
    this.respect = checkbox(
      'Respect Jira permissions',
      access.respectPermissions,
      'Each subscriber only sees issues they may browse in Jira (security levels and project permissions).',
    );
    const respect = register(
      'access.respectPermissions',
      makeField({
        label: 'Permissions',
        control: this.respect.element,
        group: true,
        focusTarget: this.respect.input,
      }),
    );
    this.element = h(
      'section',
      { class: 'section', 'aria-labelledby': 'sec-access' },
      h('h3', { id: 'sec-access', text: 'Who can subscribe' }),
      mode.element,
      this.groups.field.element,
      this.roles.field.element,
      this.userFields.element,
      respect.element,
    );
    this.showAccess();
  }

  /** The editor was left: a group search still waiting for the admin to stop typing is never sent. */
  close() {
    this.groups.close();
  }

  showAccess() {
    const mode = this.accessMode.value();
    this.groups.field.element.hidden = mode !== 'groups';
    this.roles.field.element.hidden = mode !== 'roles';
    resizeFrame();
  }

  read() {
    const mode = this.accessMode.value() ?? 'none';
    return {
      mode,
      // Choices of the other modes stay on screen while the admin switches, but are not saved.
      groups: mode === 'groups' ? this.groups.chosen : [],
      roles: mode === 'roles' ? this.roles.read() : [],
      divideByUserFields: this.userFields.read(),
      respectPermissions: this.respect.input.checked,
    };
  }
}

/** Groups searched in Jira and chosen as chips. */
class GroupPicker {
  /**
   * @param {JiraGroup[]} groups
   * @param {Register} register
   */
  constructor(groups, register) {
    this.chosen = [...groups];
    this.chips = h('ul', { class: 'chips', 'aria-label': 'Chosen groups' });
    this.search = h('input', {
      type: 'search',
      autocomplete: 'off',
      placeholder: 'Search groups',
      'aria-autocomplete': 'list',
    });
    this.suggestions = h('ul', { class: 'suggestions', hidden: true, 'aria-label': 'Matching groups' });
    this.search.setAttribute('aria-controls', 'group-suggestions');
    this.suggestions.id = 'group-suggestions';
    this.sequence = 0;
    this.searchSoon = debounce(() => void this.searchGroups(), 250);
    this.search.addEventListener('input', this.searchSoon);
    this.search.addEventListener('focus', this.searchSoon);
    this.search.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.suggestions.hidden = true;
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this.suggestions.querySelector('button')?.focus();
      }
    });
    this.field = register(
      'access.groups',
      makeField({
        label: 'Groups',
        control: this.search,
        extra: h('div', {}, this.suggestions, this.chips),
      }),
    );
    this.drawChips();
  }

  drawChips() {
    replaceChildren(
      this.chips,
      this.chosen.map((group, index) =>
        h(
          'li',
          { class: 'chip' },
          h('span', { text: group.name }),
          h('button', {
            type: 'button',
            'aria-label': `Remove group ${group.name}`,
            text: '×',
            on: {
              click: () => {
                this.chosen.splice(index, 1);
                this.drawChips();
                this.search.focus();
              },
            },
          }),
        ),
      ),
    );
  }

  close() {
    this.searchSoon.cancel();
    this.sequence += 1;
  }

  async searchGroups() {
    const query = this.search.value.trim();
    const sequence = (this.sequence += 1);
    try {
      /** @type {{ groups: JiraGroup[] }} */
      const { groups } = await api('GET', `jira/groups?query=${encodeURIComponent(query)}`);
      if (sequence !== this.sequence) return;
      const chosen = new Set(this.chosen.map((group) => group.name));
      const offered = groups.filter((group) => !chosen.has(group.name)).slice(0, 20);
      replaceChildren(
        this.suggestions,
        offered.length === 0
          ? h('li', {
              class: 'subtle',
              style: 'padding:4px 12px',
              text: query ? `No groups match “${query}”.` : 'No more groups.',
            })
          : offered.map((group) => h('li', {}, this.suggestion(group))),
      );
      this.suggestions.hidden = false;
    } catch (error) {
      if (sequence !== this.sequence) return;
      this.suggestions.hidden = true;
      this.field.setError(`Groups could not be loaded: ${explainError(error)}`);
    }
    resizeFrame();
  }

  /** @param {JiraGroup} group */
  suggestion(group) {
    return h('button', {
      type: 'button',
      text: group.name,
      on: {
        click: () => {
          this.chosen.push(
            group.groupId ? { groupId: group.groupId, name: group.name } : { name: group.name },
          );
          this.search.value = '';
          this.suggestions.hidden = true;
          this.field.clearError();
          this.drawChips();
          this.search.focus();
        },
        keydown: (event) => {
          const buttons = [...this.suggestions.querySelectorAll('button')];
          const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (event.currentTarget));
          if (event.key === 'ArrowDown') buttons[at + 1]?.focus();
          else if (event.key === 'ArrowUp') (buttons[at - 1] ?? this.search).focus();
          else if (event.key === 'Escape') {
            this.suggestions.hidden = true;
            this.search.focus();
          } else return;
          event.preventDefault();
        },
      },
    });
  }
}

/** Project roles as checkboxes: the site's, plus chosen ones Jira no longer lists. */
class RolePicker {
  /**
   * @param {ProjectRole[]} chosenRoles
   * @param {readonly ProjectRole[]} siteRoles
   * @param {Register} register
   */
  constructor(chosenRoles, siteRoles, register) {
    const chosen = new Set(chosenRoles.map((role) => String(role.id)));
    // A copy: the site's list is the admin page's cached lookups, shared by every editor it opens.
    const roles = [...siteRoles];
    for (const role of chosenRoles)
      if (!roles.some((known) => String(known.id) === String(role.id))) roles.push(role);
    this.checks = new CheckList(roles, 'Jira returned no project roles the app can see.', (role) => [
      role.name,
      chosen.has(String(role.id)),
    ]);
    this.field = register(
      'access.roles',
      makeField({
        label: 'Project roles',
        control: this.checks.element,
        group: true,
        focusTarget: this.checks.focusTarget,
      }),
    );
  }

  read() {
    return this.checks.checked().map((role) => ({ id: String(role.id), name: role.name }));
  }
}

/** The user fields that divide the feed into personal "mine" calendars. */
class UserFieldPicker {
  /**
   * @param {string[]} chosenIds
   * @param {JiraField[]} siteFields
   * @param {Register} register
   */
  constructor(chosenIds, siteFields, register) {
    const chosen = new Set(chosenIds);
    /** @type {JiraField[]} */
    const fields = siteFields.filter((field) => FITS.divideByUserFields.includes(field.type));
    for (const id of chosen)
      if (!fields.some((field) => field.id === id))
        fields.push({ id, name: `${id} (not a user field on this site)`, type: 'other' });
    this.checks = new CheckList(fields, 'No user fields found.', (field) => [
      field.custom ? `${field.name} (${field.id})` : field.name,
      chosen.has(field.id),
    ]);
    this.element = register(
      'access.divideByUserFields',
      makeField({
        label: 'Personal “mine” calendars',
        control: this.checks.element,
        group: true,
        focusTarget: this.checks.focusTarget,
        help: 'Each subscriber also gets a calendar of only the issues where they are in one of these fields.',
      }),
    ).element;
  }

  read() {
    return this.checks.checked().map((field) => field.id);
  }
}

/**
 * One checkbox per item, or a line saying there are none.
 * @template T
 */
class CheckList {
  /**
   * @param {T[]} items
   * @param {string} noneText
   * @param {(item: T) => [label: string, checked: boolean]} describe
   */
  constructor(items, noneText, describe) {
    /** @type {{ item: T, input: HTMLInputElement }[]} */
    this.checks = [];
    this.element = h(
      'div',
      {},
      items.length === 0 ? h('p', { class: 'subtle', text: noneText }) : null,
      items.map((item) => {
        const check = checkbox(...describe(item));
        this.checks.push({ item, input: check.input });
        return check.element;
      }),
    );
    /** What an error link focuses: the first box, or the list when there is none. */
    this.focusTarget = this.checks[0]?.input ?? this.element;
  }

  checked() {
    return this.checks.filter((check) => check.input.checked).map((check) => check.item);
  }
}
