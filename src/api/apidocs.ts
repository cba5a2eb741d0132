// docs/api.md from the OpenAPI document (the one served at /api/openapi.json). Pure: document in,
// Markdown out, in path order; `scripts/apidocs.ts` writes it and a unit test fails when it is stale.

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
  nullable?: boolean;
}

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocumentLike {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation> | undefined>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ["get", "post", "put", "patch", "delete"];
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** A short type expression: `ApplicationList`, `string[]`, `{ id: string, … }`, `"a" \| "b"`. */
export function typeOf(schema: Schema | undefined, depth = 0): string {
  if (!schema) return "any";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    return `[${name}](#${name.toLowerCase()})`;
  }
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => typeOf(s, depth)).join(" \\| ");
  if (schema.allOf) return schema.allOf.map((s) => typeOf(s, depth)).join(" & ");
  const type = Array.isArray(schema.type) ? schema.type.join(" \\| ") : schema.type;
  if (type === "array") return `${typeOf(schema.items, depth)}[]`;
  if (type === "object" || schema.properties) {
    if (!schema.properties) {
      const values =
        typeof schema.additionalProperties === "object" ? typeOf(schema.additionalProperties, depth) : "any";
      return `map of ${values}`;
    }
    if (depth >= 2) return "object";
    const required = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(
      ([k, v]) => `${k}${required.has(k) ? "" : "?"}: ${typeOf(v, depth + 1)}`,
    );
    return `{ ${fields.join(", ")} }`;
  }
  return type ?? "any";
}

function operationMarkdown(method: string, path: string, op: Operation): string[] {
  const lines = [`### \`${method.toUpperCase()} ${path}\``, "", op.summary ?? "", ""];
  const params = op.parameters ?? [];
  if (params.length > 0) {
    lines.push("| parameter | in | type | required | description |", "| --- | --- | --- | --- | --- |");
    for (const p of params) {
      lines.push(
        `| \`${p.name}\` | ${p.in} | ${cell(typeOf(p.schema))} | ${p.required ? "yes" : "no"} | ${cell(p.description ?? p.schema?.description ?? "")} |`,
      );
    }
    lines.push("");
  }
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    lines.push(`Request body (\`${type}\`): ${typeOf(media.schema)}`, "");
  }
  const responses = Object.entries(op.responses ?? {}).filter(([status]) => !status.startsWith("4"));
  const errors = Object.keys(op.responses ?? {}).filter((status) => status.startsWith("4"));
  lines.push("| status | description | body |", "| --- | --- | --- |");
  for (const [status, response] of responses) {
    const bodies = Object.entries(response.content ?? {}).map(
      ([type, m]) => `${typeOf(m.schema)} (\`${type}\`)`,
    );
    lines.push(`| ${status} | ${cell(response.description ?? "")} | ${cell(bodies.join(", "))} |`);
  }
  if (errors.length > 0) lines.push(`| ${errors.join(", ")} | Error | [ErrorBody](#errorbody) |`);
  lines.push("");
  return lines;
}

export function apiMarkdown(doc: OpenApiDocumentLike): string {
  const lines = [
    `# ${doc.info.title} ${doc.info.version}`,
    "",
    "<!-- Generated from the OpenAPI document (GET /api/openapi.json) by `npm run docs:api`. Do not edit. -->",
    "",
    doc.info.description ?? "",
    "",
    "Every `/api/v1` route needs a credential unless its description says otherwise: an",
    "`Authorization: Bearer <token>` header (a session token from `POST /api/v1/session` or an API token",
    "`tether_…`), or the session cookie, which additionally needs the `X-CSRF-Token` header on",
    "state-changing methods. Errors have one shape, [ErrorBody](#errorbody).",
    "",
    "Sessions belong to local accounts (`admin` and those declared in ConfigMap `tether-accounts` with the",
    "`login` capability) or to SSO users (`sso:<name>`). All session state is in the cluster (Secret",
    "`tether-sessions`, watched by every replica), so any replica accepts a session another issued, and a",
    "logout, a password change or a disabled account counts on every replica within the watch delay. See",
    "[security.md](security.md#authentication-srcapiauthnts-srcapiauth) for the objects involved.",
    "",
    "## Routes",
    "",
  ];
  const paths = Object.entries(doc.paths ?? {}).sort(([a], [b]) => a.localeCompare(b));
  lines.push("| method | path | summary |", "| --- | --- | --- |");
  for (const [path, item] of paths) {
    for (const method of METHODS.filter((m) => item?.[m])) {
      lines.push(
        `| ${method.toUpperCase()} | \`${path}\` | ${cell((item?.[method]?.summary ?? "").split(". ")[0] ?? "")} |`,
      );
    }
  }
  lines.push("");
  for (const [path, item] of paths) {
    for (const method of METHODS.filter((m) => item?.[m])) {
      lines.push(...operationMarkdown(method, path, item?.[method] as Operation));
    }
  }
  lines.push("## Schemas", "");
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, schema] of schemas) {
    lines.push(`### ${name}`, "");
    if (schema.properties) {
      const required = new Set(schema.required ?? []);
      lines.push("| field | type | required |", "| --- | --- | --- |");
      for (const [field, s] of Object.entries(schema.properties)) {
        lines.push(`| \`${field}\` | ${cell(typeOf(s))} | ${required.has(field) ? "yes" : "no"} |`);
      }
    } else lines.push(`${typeOf(schema)}`);
    lines.push("");
  }
  return `${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}
