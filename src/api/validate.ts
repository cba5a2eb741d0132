// Request bodies → Applications, with errors that name the field: zod for shape, then the model's
// own validateApplication for meaning. The apiserver's CRD validation is the third line (fromKube).
import type { ZodType } from "zod";
import type { Application } from "../model/application.js";
import { API_VERSION } from "../model/application.js";
import type { KnownCluster } from "../engine/validate.js";
import { validateApplication } from "../engine/validate.js";
import { nestingMessage, parseJsonBounded } from "../engine/nesting.js";
import { fieldOf, HttpError } from "./errors.js";
import { ApplicationWriteSchema } from "./types.js";
import { errorMessage } from "../lib/errormessage.js";

/**
 * Parses a request body's JSON text (its size is bounded by the server's bodyLimit); malformed → 400.
 * Nesting deeper than the engine's limit is a 400 naming where: beyond it, validation, the
 * apiserver client's JSON.stringify and the diff would overflow the stack (a 502 naming nothing).
 */
export function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  let parsed: ReturnType<typeof parseJsonBounded>;
  try {
    parsed = parseJsonBounded(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${errorMessage(error)}`);
  }
  if (parsed.problem)
    throw new HttpError(400, `request body: ${nestingMessage(parsed.problem)}`, parsed.problem.path);
  return parsed.value;
}

/** zod validation; the first issue becomes a 422 naming its path. */
export function parseBody<T>(schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new HttpError(
    422,
    field ? `${field}: ${issue?.message ?? "invalid"}` : (issue?.message ?? "invalid body"),
    field || undefined,
  );
}

/** A create/update body as an Application in `namespace`; every error names its field. */
export function applicationFromBody(
  value: unknown,
  namespace: string | undefined,
  localServers: readonly string[],
  clusters: readonly KnownCluster[] = [],
): Application {
  const body = parseBody(ApplicationWriteSchema, value);
  const ns = body.metadata.namespace ?? namespace;
  if (!ns)
    throw new HttpError(
      422,
      "metadata.namespace is required (this API serves every namespace)",
      "metadata.namespace",
    );
  const app = {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata: { ...body.metadata, namespace: ns },
    spec: body.spec,
  } as unknown as Application;
  const problems = validateApplication(app, { localServers, clusters });
  const first = problems[0];
  if (first)
    throw new HttpError(422, problems.join("; "), fieldOf(first.replace(/^Application [^:]*: /, "")));
  return app;
}
