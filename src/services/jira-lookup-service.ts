import { type FieldType, fieldType } from '../domain/field-compatibility.js';
import type { Actor } from './actor.js';
import type { JiraClients } from './jira-clients.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';

/** Read-only look-ups the feed editor offers as pickers, made as the app user. */
export class JiraLookupService {
  constructor(private readonly jira: JiraClients) {}

  async fields(actor: Actor): Promise<{ id: string; name: string; type: FieldType; custom: boolean }[]> {
    const fields = await withUpstreamErrors(() => this.jira.forActor(actor).getFields());
    return fields
      .map((field) => ({
        id: field.id,
        name: field.name,
        type: fieldType(field),
        custom: field.custom ?? field.id.startsWith('customfield_'),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  groups(actor: Actor, query: string): Promise<{ groupId: string | null; name: string }[]> {
    return withUpstreamErrors(() => this.jira.forActor(actor).findGroups(query.slice(0, 100)));
  }

  /**
   * Project roles are site-wide but listing them directly needs the ADMIN scope; every project shows
   * the same set, so the first visible project's roles answer the question.
   */
  roles(actor: Actor): Promise<{ id: string; name: string }[]> {
    const client = this.jira.forActor(actor);
    return withUpstreamErrors(async () => {
      for await (const page of client.listProjects()) {
        const project = page[0];
        if (project)
          return (await client.getProjectRoles(project.id)).sort((a, b) => a.name.localeCompare(b.name));
      }
      return [];
    });
  }

  /** Jira's verdict on a query and, when it is valid, roughly how many issues it matches. */
  async checkJql(
    actor: Actor,
    jql: string,
  ): Promise<{ valid: boolean; errors: string[]; count: number | null }> {
    const client = this.jira.forActor(actor);
    const [parsed] = await withUpstreamErrors(() => client.parseJql([jql]));
    const errors = parsed?.errors ?? [];
    if (errors.length > 0) return { valid: false, errors, count: null };
    return { valid: true, errors: [], count: await withUpstreamErrors(() => client.approximateCount(jql)) };
  }
}
