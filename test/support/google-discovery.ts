import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** Google's published Calendar v3 discovery document: the contract the fake Google holds every call to. */
const DISCOVERY_PATH = fileURLToPath(
  new URL('../../../shared/calendar-apis/google-calendar-v3.discovery.json', import.meta.url),
);

type DiscoveryParameter = {
  type: string;
  location: 'path' | 'query';
  required?: boolean;
  repeated?: boolean;
  enum?: string[];
  minimum?: string;
};
type DiscoveryMethod = {
  id: string;
  path: string;
  httpMethod: string;
  parameters?: Record<string, DiscoveryParameter>;
  request?: { $ref: string };
  response?: { $ref: string };
  scopes: string[];
};
type DiscoverySchema = Record<string, unknown>;
type Discovery = {
  parameters: Record<string, DiscoveryParameter>;
  resources: Record<string, { methods: Record<string, DiscoveryMethod> }>;
  schemas: Record<string, DiscoverySchema>;
};

export type ContractMethod = {
  id: string;
  httpMethod: string;
  scopes: string[];
  /** Path parameters by name when `path` matches this method's template, else null. */
  match(path: string): Record<string, string> | null;
  /** Problems with the query string, each naming its parameter. */
  checkQuery(query: URLSearchParams): string[];
  checkRequest(body: unknown): string[];
  checkResponse(body: unknown): string[];
};

/** JSON Schema for a discovery schema; `annotations.required` naming `methodId` makes fields required. */
function toJsonSchema(schema: unknown, methodId: string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, methodId));
  if (schema === null || typeof schema !== 'object') return schema;
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === '$ref') out['$ref'] = `#/$defs/${String(value)}`;
    else if (key === 'properties') {
      const properties = value as Record<string, Record<string, unknown>>;
      out['properties'] = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [name, toJsonSchema(property, methodId)]),
      );
      const required = Object.entries(properties)
        .filter(([, property]) =>
          ((property['annotations'] as { required?: string[] } | undefined)?.required ?? []).includes(
            methodId,
          ),
        )
        .map(([name]) => name);
      if (required.length > 0) out['required'] = required;
    } else if (key === 'additionalProperties' || key === 'items') out[key] = toJsonSchema(value, methodId);
    else if (key === 'type') {
      if (value !== 'any') out['type'] = value;
    } else if (key === 'format') {
      if (value === 'date' || value === 'date-time') out['format'] = value;
    } else if (key === 'enum') out[key] = value;
  }
  // Google ignores unknown fields; the fake refuses them so a misspelt field cannot pass unnoticed.
  if (out['properties'] && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function compile(discovery: Discovery, ref: string, methodId: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
  ajv.addFormat('date-time', RFC3339);
  const defs = Object.fromEntries(
    Object.entries(discovery.schemas).map(([name, schema]) => [name, toJsonSchema(schema, methodId)]),
  );
  return ajv.compile({ $defs: defs, $ref: `#/$defs/${ref}` });
}

function problems(validate: ValidateFunction, body: unknown, what: string): string[] {
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${what}${error.instancePath || '/'} ${error.message ?? 'is invalid'}${
        error.params && 'additionalProperty' in error.params
          ? ` (${String(error.params['additionalProperty'])})`
          : ''
      }`,
  );
}

function checkQuery(method: DiscoveryMethod, global: Discovery['parameters'], query: URLSearchParams) {
  const found: string[] = [];
  const parameters = { ...global, ...method.parameters };
  for (const name of new Set(query.keys())) {
    const parameter = parameters[name];
    if (!parameter || parameter.location !== 'query') {
      found.push(`${name}: not a parameter of ${method.id}`);
      continue;
    }
    const values = query.getAll(name);
    if (values.length > 1 && !parameter.repeated) found.push(`${name}: not repeatable`);
    for (const value of values) {
      if (parameter.type === 'integer' && !/^-?\d+$/.test(value)) found.push(`${name}: not an integer`);
      if (parameter.type === 'boolean' && value !== 'true' && value !== 'false')
        found.push(`${name}: not a boolean`);
      if (parameter.enum && !parameter.enum.includes(value)) found.push(`${name}: not one of its values`);
    }
  }
  for (const [name, parameter] of Object.entries(method.parameters ?? {})) {
    if (parameter.location === 'query' && parameter.required && !query.has(name))
      found.push(`${name}: required`);
  }
  return found;
}

function contractMethod(discovery: Discovery, method: DiscoveryMethod): ContractMethod {
  const names: string[] = [];
  const pattern = new RegExp(
    `^/calendar/v3/${method.path
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
  );
  // Compiled when first used: most of the document's methods are never called.
  let request: ValidateFunction | null | undefined;
  let response: ValidateFunction | null | undefined;
  const requestSchema = () =>
    (request ??= method.request ? compile(discovery, method.request.$ref, method.id) : null);
  const responseSchema = () =>
    (response ??= method.response ? compile(discovery, method.response.$ref, method.id) : null);
  return {
    id: method.id,
    httpMethod: method.httpMethod,
    scopes: method.scopes,
    match(path) {
      const found = pattern.exec(path);
      if (!found) return null;
      return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)]));
    },
    checkQuery: (query) => checkQuery(method, discovery.parameters, query),
    checkRequest(body) {
      const schema = requestSchema();
      if (!schema) return body === undefined ? [] : [`${method.id} takes no body`];
      return problems(schema, body, 'request');
    },
    checkResponse(body) {
      const schema = responseSchema();
      if (!schema) return body === undefined ? [] : [`${method.id} answers with no body`];
      return problems(schema, body, 'response');
    },
  };
}

let loaded: ContractMethod[] | null = null;

/** Every method of the discovery document, compiled once per test process. */
export function googleCalendarContract(): ContractMethod[] {
  if (loaded) return loaded;
  const discovery = JSON.parse(readFileSync(DISCOVERY_PATH, 'utf8')) as Discovery;
  const methods: ContractMethod[] = [];
  for (const resource of Object.values(discovery.resources)) {
    for (const method of Object.values(resource.methods)) methods.push(contractMethod(discovery, method));
  }
  loaded = methods;
  return methods;
}
