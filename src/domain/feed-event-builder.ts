import type { FeedConfig } from './feed-config.js';
import type { FeedEvent, FeedEventKind, JiraIssueLike } from './feed-event.js';
import type { OmittedIssues } from './feed.js';
import {
  endsBeforeWindow,
  feedWindow,
  startsAfterWindow,
  type EventSpan,
  type FeedWindow,
} from './feed-window.js';
import {
  issueFacts,
  readList,
  readSprint,
  readVersion,
  type IssueFacts,
  type SprintData,
  type VersionData,
} from './jira-values.js';
import { compare, compareIds, sortedUnique } from './ordering.js';
import { issueSpan, sprintSpan, versionSpan, type Outcome } from './rule-spans.js';
import {
  boardUrl,
  finishDescription,
  finishSummary,
  issueUrl,
  parseTemplate,
  renderTemplate,
  versionUrl,
  type ParsedTemplate,
} from './templates.js';
import { toUtcIso } from './time-zones.js';

export type BuildContext = {
  jiraBaseUrl: string;
  /** Right-hand side of every UID (`eventUidDomain`): names the site and the feed. */
  uidDomain: string;
  now: Date;
};

export type BuildResult = {
  events: FeedEvent[];
  /** Events that could not be built from the data (empty or unparseable fields, inverted ranges). */
  omitted: OmittedIssues;
  /** Events built but left out on purpose by the feed's settings. */
  filtered: { outsideWindow: number; resolvedHidden: number };
  /** Each omission with the issue it was counted against, in the order counted (an incremental sync's bookkeeping). */
  omissions: { issueKey: string; reason: string }[];
  /** The issue each event was counted against (a sprint's or version's: its first issue), by UID. */
  countedAgainst: Map<string, string>;
  /** For each event left out for the date window, the issue it was counted against. */
  outsideWindow: string[];
};

const MAX_OMITTED_EXAMPLES = 20;

/** A sprint or version with the issues that carry it, gathered across the whole issue list. */
type Carried<T> = { item: T; issues: IssueFacts[] };

type Draft = Omit<FeedEvent, 'allDay' | 'start' | 'end'>;

/** Keeps the events, omissions and filter counts of one build; sprints and versions are made once all issues are in. */
export class FeedEventBuilder {
  private readonly summaryTemplate: ParsedTemplate;
  private readonly descriptionTemplate: ParsedTemplate;
  private readonly window: FeedWindow;
  private readonly events: FeedEvent[] = [];
  private readonly omitted: OmittedIssues = { count: 0, byReason: {}, examples: [] };
  private readonly filtered = { outsideWindow: 0, resolvedHidden: 0 };
  private readonly omissions: { issueKey: string; reason: string }[] = [];
  private readonly countedAgainst = new Map<string, string>();
  private readonly outsideWindow: string[] = [];
  private readonly sprints = new Map<string, Map<string, Carried<SprintData>>>();
  private readonly versions = new Map<string, Map<string, Carried<VersionData>>>();

  constructor(
    private readonly config: FeedConfig,
    private readonly ctx: BuildContext,
  ) {
    this.summaryTemplate = compile(config.content.summaryTemplate);
    this.descriptionTemplate = compile(config.content.descriptionTemplate);
    this.window = feedWindow(config.window, config.timeZone, ctx.now);
  }

  addIssue(issue: JiraIssueLike): void {
    const facts = issueFacts(issue, this.config.access.divideByUserFields);
    for (const rule of this.config.rules) {
      switch (rule.kind) {
        case 'sprint':
          this.collect(this.sprints, rule.id, facts, rule.field, readSprint);
          break;
        case 'version':
          this.collect(this.versions, rule.id, facts, 'fixVersions', readVersion);
          break;
        case 'allDay':
        case 'timed':
        case 'dateWithTime':
        case 'range':
          this.place(issue.key, issueSpan(rule, issue, this.config.timeZone), () =>
            this.issueDraft(rule.id, facts),
          );
          break;
      }
    }
  }

  finish(): BuildResult {
    for (const rule of this.config.rules) {
      if (rule.kind === 'sprint') this.finishSprints(rule.id);
      if (rule.kind === 'version') this.finishVersions(rule.id, rule.useStartDate);
    }
    this.events.sort((a, b) => compare(a.start, b.start) || compare(a.uid, b.uid));
    return {
      events: this.events,
      omitted: this.omitted,
      filtered: this.filtered,
      omissions: this.omissions,
      countedAgainst: this.countedAgainst,
      outsideWindow: this.outsideWindow,
    };
  }

  private issueDraft(ruleId: string, facts: IssueFacts): Draft {
    const { issue } = facts;
    const context = { jiraBaseUrl: this.ctx.jiraBaseUrl };
    const summary =
      finishSummary(renderTemplate(this.summaryTemplate, issue, context)) || finishSummary(issue.key);
    return {
      ...this.shared(facts.resolved),
      uid: `${issue.id}-${ruleId}@${this.ctx.uidDomain}`,
      kind: 'issue',
      ruleId,
      issueId: issue.id,
      issueKey: issue.key,
      projectIds: facts.projectId ? [facts.projectId] : [],
      summary: this.markResolved(summary, facts.resolved),
      description: finishDescription(renderTemplate(this.descriptionTemplate, issue, context)),
      url: issueUrl(this.ctx.jiraBaseUrl, issue.key),
      stamp: toUtcIso(facts.updatedMs),
      sequence: 0,
      userAccountIds: facts.userAccountIds,
    };
  }

  private finishSprints(ruleId: string): void {
    for (const { item: sprint, issues } of sortedCarried(this.sprints.get(ruleId))) {
      const resolved = sprint.state === 'closed';
      this.place(issues[0]?.issue.key ?? '', sprintSpan(sprint, this.config.timeZone), () => ({
        ...this.carriedDraft(`sprint-${sprint.id}-${ruleId}`, 'sprint', ruleId, issues, resolved),
        summary: this.markResolved(finishSummary(sprint.name) || `Sprint ${sprint.id}`, resolved),
        description: finishDescription(sprint.goal),
        url: sprint.boardId ? boardUrl(this.ctx.jiraBaseUrl, sprint.boardId) : null,
      }));
    }
  }

  private finishVersions(ruleId: string, useStartDate: boolean): void {
    for (const { item: version, issues } of sortedCarried(this.versions.get(ruleId))) {
      const projectKey = issues.find((facts) => facts.projectKey)?.projectKey ?? null;
      const name = finishSummary(version.name) || `Version ${version.id}`;
      const span = versionSpan(version, useStartDate, this.config.timeZone);
      this.place(issues[0]?.issue.key ?? '', span, () => ({
        ...this.carriedDraft(`version-${version.id}-${ruleId}`, 'version', ruleId, issues, version.released),
        summary: this.markResolved(
          finishSummary(projectKey ? `${projectKey} ${name}` : name),
          version.released,
        ),
        description: finishDescription(version.description),
        url: projectKey ? versionUrl(this.ctx.jiraBaseUrl, projectKey, version.id) : null,
      }));
    }
  }

  private carriedDraft(
    uidPrefix: string,
    kind: Exclude<FeedEventKind, 'issue'>,
    ruleId: string,
    issues: IssueFacts[],
    resolved: boolean,
  ): Omit<Draft, 'summary' | 'description' | 'url'> {
    const updatedMs = issues.reduce((latest, facts) => Math.max(latest, facts.updatedMs), 0);
    return {
      ...this.shared(resolved),
      uid: `${uidPrefix}@${this.ctx.uidDomain}`,
      kind,
      ruleId,
      issueId: null,
      issueKey: null,
      projectIds: sortedUnique(issues.flatMap((facts) => (facts.projectId ? [facts.projectId] : []))),
      stamp: toUtcIso(updatedMs),
      sequence: 0,
      userAccountIds: sortedUnique(issues.flatMap((facts) => facts.userAccountIds)),
    };
  }

  private shared(
    resolved: boolean,
  ): Pick<Draft, 'categories' | 'transparent' | 'alarmMinutesBefore' | 'resolved'> {
    const { content } = this.config;
    return {
      categories: [...content.categories],
      transparent: content.transparency === 'free',
      alarmMinutesBefore: content.alarmMinutesBefore,
      resolved,
    };
  }

  private markResolved(summary: string, resolved: boolean): string {
    return resolved && this.config.content.resolved === 'mark' ? finishSummary(`✓ ${summary}`) : summary;
  }

  private collect<T extends { id: string }>(
    carried: Map<string, Map<string, Carried<T>>>,
    ruleId: string,
    facts: IssueFacts,
    field: string,
    read: (value: unknown) => T | null,
  ): void {
    const items = readList(facts.issue.fields[field], read);
    if (items.some((item) => item === null)) this.omit(facts.issue.key, `invalid:${field}`);
    if (items.length === 0) return;
    let byId = carried.get(ruleId);
    if (!byId) {
      byId = new Map();
      carried.set(ruleId, byId);
    }
    for (const item of items) {
      if (!item) continue;
      const entry = byId.get(item.id);
      if (entry) entry.issues.push(facts);
      else byId.set(item.id, { item, issues: [facts] });
    }
  }

  /** Adds the event an outcome places, or counts the omission; the draft is made only for an event. */
  private place(issueKey: string, outcome: Outcome, draft: () => Draft): void {
    if (outcome.ok) this.push(draft(), outcome.span, issueKey);
    else this.omit(issueKey, outcome.reason);
  }

  private push(draft: Draft, span: EventSpan, issueKey: string): void {
    if (endsBeforeWindow(span, this.window)) {
      if (draft.resolved || !this.config.window.keepUnresolvedOverdue) {
        this.filtered.outsideWindow += 1;
        this.outsideWindow.push(issueKey);
        return;
      }
    } else if (startsAfterWindow(span, this.window)) {
      this.filtered.outsideWindow += 1;
      this.outsideWindow.push(issueKey);
      return;
    }
    if (draft.resolved && this.config.content.resolved === 'hide') {
      this.filtered.resolvedHidden += 1;
      return;
    }
    this.countedAgainst.set(draft.uid, issueKey);
    this.events.push(
      span.allDay
        ? {
            ...draft,
            allDay: true,
            start: span.start,
            end: span.end,
            ...(span.instant === undefined ? {} : { instant: span.instant }),
          }
        : { ...draft, allDay: false, start: toUtcIso(span.startMs), end: toUtcIso(span.endMs) },
    );
  }

  private omit(issueKey: string, reason: string): void {
    this.omitted.count += 1;
    this.omissions.push({ issueKey, reason });
    this.omitted.byReason[reason] = (this.omitted.byReason[reason] ?? 0) + 1;
    if (this.omitted.examples.length < MAX_OMITTED_EXAMPLES) this.omitted.examples.push({ issueKey, reason });
  }
}

function compile(template: string): ParsedTemplate {
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw new Error(`Invalid template in a validated feed config: ${parsed.message}`);
  return parsed.template;
}

function sortedCarried<T>(byId: Map<string, Carried<T>> | undefined): Carried<T>[] {
  if (!byId) return [];
  return [...byId.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, carried]) => carried);
}
