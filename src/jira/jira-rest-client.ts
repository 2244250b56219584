import type { JiraDialect } from './jira-error.js';
import { filterSchema, myPermissionsSchema, serverInfoSchema, type ServerInfo } from './jira-schemas.js';
import { JiraTransport } from './jira-transport.js';

/** The calls Jira Cloud's REST API v3 and Data Center's v2 answer alike, each under its own path. */
export abstract class JiraRestClient extends JiraTransport {
  protected abstract readonly api: '/rest/api/3' | '/rest/api/2';

  protected override get dialect(): JiraDialect {
    return this.api === '/rest/api/2' ? 'datacenter' : 'cloud';
  }

  getServerInfo(): Promise<ServerInfo> {
    return this.send({ method: 'GET', path: `${this.api}/serverInfo`, schema: serverInfoSchema });
  }

  async getFilter(id: string): Promise<{ id: string; name: string; jql: string }> {
    const filter = await this.send({
      method: 'GET',
      path: `${this.api}/filter/${encodeURIComponent(id)}`,
      schema: filterSchema,
    });
    return { id: filter.id, name: filter.name, jql: filter.jql };
  }

  /** Which of `keys` the caller itself holds (a user token asks as that user). */
  async getMyPermissions(keys: string[]): Promise<Set<string>> {
    const result = await this.send({
      method: 'GET',
      path: `${this.api}/mypermissions`,
      query: { permissions: keys.join(',') },
      schema: myPermissionsSchema,
    });
    return new Set(keys.filter((key) => result.permissions[key]?.havePermission === true));
  }
}
