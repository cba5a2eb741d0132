// The /api/v1 application routes. Handlers are thin: parse → store/tree → view. Errors are thrown as
// HttpError and rendered once by the server's error handler.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { stringify } from "yaml";
import { maskSecretValues, normalizeForDiff } from "../engine/diff/index.js";
import type { JsonObject } from "../engine/diff/index.js";
import type { KubeClients } from "../kube/client.js";
import { kubeErrorMessage } from "../kube/client.js";
import { REFRESH_ANNOTATION, ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../model/contract.js";
import type { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import type { KnownCluster } from "../engine/validate.js";
import type { Action } from "./auth/rbac.js";
import { appRef } from "./auth/rbac.js";
import { HttpError } from "./errors.js";
import type { LiveReads } from "./live.js";
import { metadataWrite } from "./requests.js";
import type { ApplicationStore } from "./store.js";
import { podsOf, TreeBuilder } from "./tree.js";
import type {
  ActionResponse,
  DeleteResponse,
  DiffResponse,
  EventView,
  ResourceDiff,
  RollbackRequest,
  SyncRequest,
} from "./types.js";
import { RollbackRequestSchema, SyncRequestSchema } from "./types.js";
import { applicationFromBody, parseBody, parseJson } from "./validate.js";
import { detailOf, matchesFilter, summaryOf } from "./views.js";

/** The object a sync would produce (normalized, Secret values masked), by group/kind/namespace/name. */
export type DesiredSource = (ref: {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}) => JsonObject | undefined;

export interface RouteDeps {
  clients: KubeClients;
  resources: ResourceClient;
  store: ApplicationStore;
  localServers: readonly string[];
  /** The clusters of cluster Secrets, which a destination may name besides in-cluster. */
  knownClusters: () => Promise<readonly KnownCluster[]>;
  /**
   * The app's live reads, limited to what its project permits (LiveScopeSource.of): every live
   * object behind the detail, diff, tree and logs is read through it, on the app's destination cluster.
   */
  liveOf: (app: Application) => Promise<LiveReads>;
  desired?: DesiredSource;
}

const APP = "/api/v1/applications/:namespace/:name";

/**
 * RBAC for one application (the caller's rights come from the auth middleware; none set = auth
 * disabled). One the caller may not `get` does not exist for them: 404, as for a missing app.
 * Otherwise an action they lack is 403.
 */
export function authorize(c: Context, action: Action, application: Application): void {
  const auth = c.get("tetherAuth");
  if (!auth) return;
  const ref = appRef(application);
  if (!auth.can("get", ref)) {
    throw new HttpError(
      404,
      `application ${ref.namespace}/${ref.name} not found`, // the store's own words: no existence leak,
    );
  }
  if (action !== "get" && !auth.can(action, ref)) {
    throw new HttpError(
      403,
      `${auth.subject.user} may not ${action} application ${ref.namespace}/${ref.name}`,
    );
  }
}

/** The application, if it exists and the caller may `action` it (see authorize). */
async function authorized(c: Context, store: ApplicationStore, action: Action): Promise<Application> {
  const { namespace, name } = params(c);
  const application = await store.get(namespace, name);
  authorize(c, action, application);
  return application;
}

/**
 * The labels and annotations an API write stores (requests.ts): 403 naming the field for a request
 * annotation whose right the caller lacks (in the app's current and new project), or for a change
 * to Tether's own marks.
 */
function checkedWrite(
  c: Context,
  current: Application | undefined,
  input: Application,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const write = metadataWrite(current?.metadata, input.metadata);
  const mark = write.marks[0];
  if (mark)
    throw new HttpError(
      403,
      `${mark} is written by Tether only and cannot be set or changed through the API`,
      mark,
    );
  const auth = c.get("tetherAuth");
  const refs = [appRef(input), ...(current ? [appRef(current)] : [])];
  for (const { key, right } of write.requests) {
    if (auth && !refs.every((ref) => auth.can(right, ref))) {
      const ref = appRef(input);
      throw new HttpError(
        403,
        `${auth.subject.user} may not ${right} application ${ref.namespace}/${ref.name}: annotation ${key} asks for a ${right === "get" ? "refresh" : right}`,
        `metadata.annotations.${key}`,
      );
    }
  }
  return { labels: write.labels, annotations: write.annotations };
}

function params(c: Context): { namespace: string; name: string } {
  return { namespace: c.req.param("namespace") ?? "", name: c.req.param("name") ?? "" };
}

export function registerApplicationRoutes(app: OpenAPIHono, deps: RouteDeps): void {
  const { store } = deps;
  const action = async (c: Context, annotation: string, value: string, right: Action) => {
    const { namespace, name } = params(c);
    await authorized(c, store, right); // 404 before patching (a merge patch would not create it, but say so clearly)
    await store.annotate(namespace, name, { [annotation]: value });
    return c.json({ application: `${namespace}/${name}`, annotation, value } satisfies ActionResponse, 202);
  };

  app.get("/api/v1/applications", async (c) => {
    const filter = {
      project: c.req.query("project"),
      sync: c.req.query("sync"),
      health: c.req.query("health"),
      labels: c.req.queries("label") ?? [],
    };
    const auth = c.get("tetherAuth");
    const apps = (await store.list()).filter(
      (a) => matchesFilter(a, filter) && (auth?.can("get", appRef(a)) ?? true),
    );
    return c.json({ items: apps.map(summaryOf) });
  });

  app.post("/api/v1/applications", async (c) => {
    const input = applicationFromBody(
      parseJson(await c.req.text()),
      store.namespace,
      deps.localServers,
      await deps.knownClusters(),
    );
    const auth = c.get("tetherAuth");
    if (auth && !auth.can("create", appRef(input))) {
      throw new HttpError(
        403,
        `${auth.subject.user} may not create application ${input.metadata.namespace}/${input.metadata.name} in project ${appRef(input).project}`,
      );
    }
    const write = checkedWrite(c, undefined, input);
    return c.json(detailOf(await store.create({ ...input, metadata: { ...input.metadata, ...write } })), 201);
  });

  app.get(APP, async (c) => c.json(await scopedDetailOf(deps, await authorized(c, store, "get"))));

  app.put(APP, async (c) => {
    const { namespace, name } = params(c);
    const input = applicationFromBody(
      parseJson(await c.req.text()),
      namespace,
      deps.localServers,
      await deps.knownClusters(),
    );
    if (input.metadata.name !== name || input.metadata.namespace !== namespace) {
      throw new HttpError(
        422,
        `metadata.name/namespace must match the URL (${namespace}/${name})`,
        "metadata.name",
      );
    }
    // Without a resourceVersion the client asks to replace whatever is there. The controller writes
    // the app's status all the time, so a conflict then means: read again and redo every decision
    // (client-go's RetryOnConflict). With one, the conflict is the client's answer (409).
    for (let attempt = 1; ; attempt++) {
      const current = await authorized(c, store, "update");
      // Moving it to another project needs `update` there too.
      const auth = c.get("tetherAuth");
      if (auth && !auth.can("update", appRef(input))) {
        throw new HttpError(
          403,
          `${auth.subject.user} may not update application ${namespace}/${name} in project ${appRef(input).project}`,
        );
      }
      const write = checkedWrite(c, current, input);
      try {
        const metadata = { ...input.metadata, ...write };
        const replaced = await store.replace({ ...input, metadata }, current);
        return c.json(await scopedDetailOf(deps, replaced));
      } catch (error) {
        const conflict = error instanceof HttpError && error.status === 409;
        if (!conflict || input.metadata.resourceVersion !== undefined || attempt >= 5) throw error;
      }
    }
  });

  app.delete(APP, async (c) => {
    const { namespace, name } = params(c);
    const cascade = c.req.query("cascade");
    if (cascade !== undefined && cascade !== "true" && cascade !== "false") {
      throw new HttpError(400, `cascade must be true or false, not "${cascade}"`, "cascade");
    }
    await authorized(c, store, "delete");
    // The answer says what is true now: 200 gone, 202 still being deleted (a finalizer at work).
    const state = await store.remove(namespace, name, cascade !== "false");
    const body: DeleteResponse = { deleted: `${namespace}/${name}`, cascade: cascade !== "false", state };
    return c.json(body, state === "Deleted" ? 200 : 202);
  });

  app.post(`${APP}/refresh`, async (c) => {
    const type = c.req.query("type") ?? "normal";
    if (type !== "normal" && type !== "hard")
      throw new HttpError(400, `type must be normal or hard, not "${type}"`, "type");
    return action(c, REFRESH_ANNOTATION, type, "get"); // a refresh only re-reads Git: as Argo CD, `get` suffices
  });

  app.post(`${APP}/sync`, async (c) => {
    const request = parseBody(SyncRequestSchema, parseJson(await c.req.text()));
    if (request.dryRun) {
      await authorized(c, store, "sync");
      const { namespace, name } = params(c);
      return c.json(await diffOf(deps, namespace, name));
    }
    return action(c, SYNC_ANNOTATION, syncAnnotationValue(request), "sync");
  });

  app.post(`${APP}/rollback`, async (c) => {
    const request = parseBody(RollbackRequestSchema, parseJson(await c.req.text()));
    const application = await authorized(c, store, "rollback");
    return action(c, ROLLBACK_ANNOTATION, rollbackAnnotationValue(application, request), "rollback");
  });

  app.get(`${APP}/history`, async (c) =>
    c.json({ items: detailOf(await authorized(c, store, "get")).history }),
  );

  app.get(`${APP}/resource-tree`, async (c) => {
    const application = await authorized(c, store, "get");
    const nodes = await new TreeBuilder(await deps.liveOf(application)).build(application);
    return c.json({ nodes });
  });

  app.get(`${APP}/diff`, async (c) => {
    await authorized(c, store, "get");
    const { namespace, name } = params(c);
    return c.json(await diffOf(deps, namespace, name));
  });

  app.get(`${APP}/events`, async (c) => {
    const { namespace, name } = params(c);
    const application = await authorized(c, store, "get");
    const list = await deps.clients.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Application,involvedObject.name=${name}`,
    });
    const items: EventView[] = list.items
      .filter(
        (e) =>
          !application.metadata.uid ||
          !e.involvedObject.uid ||
          e.involvedObject.uid === application.metadata.uid,
      )
      .map((e) => ({
        type: e.type ?? "Normal",
        reason: e.reason ?? "",
        message: e.message ?? "",
        ...(e.count !== undefined ? { count: e.count } : {}),
        ...(e.firstTimestamp ? { firstTimestamp: new Date(e.firstTimestamp).toISOString() } : {}),
        ...(e.lastTimestamp ? { lastTimestamp: new Date(e.lastTimestamp).toISOString() } : {}),
      }));
    return c.json({ items });
  });

  app.get(`${APP}/logs`, async (c) => {
    const application = await authorized(c, store, "logs");
    const { namespace, name } = params(c);
    const pod = c.req.query("pod");
    if (!pod) throw new HttpError(400, "query parameter pod is required", "pod");
    const podNamespace = c.req.query("namespace");
    const tailText = c.req.query("tailLines");
    const tailLines = tailText === undefined ? 500 : Number(tailText);
    if (!Number.isInteger(tailLines) || tailLines < 1 || tailLines > 10_000) {
      throw new HttpError(400, "tailLines must be an integer from 1 to 10000", "tailLines");
    }
    // Only a pod of the app's tree, which holds only what its project permits (the same 403 for a
    // pod elsewhere and a pod that does not exist: no existence oracle).
    const live = await deps.liveOf(application);
    const tree = await new TreeBuilder(live).build(application);
    const pods = [...podsOf(tree)].filter(
      (p) => p.endsWith(`/${pod}`) && (!podNamespace || p === `${podNamespace}/${pod}`),
    );
    const found = pods[0];
    if (!found) throw new HttpError(403, `pod ${pod} is not part of application ${namespace}/${name}`, "pod");
    const container = c.req.query("container");
    const podNs = found.slice(0, found.indexOf("/"));
    let text: string;
    try {
      text = await live.podLog({
        namespace: podNs,
        name: pod,
        tailLines,
        ...(container ? { container } : {}),
      });
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(502, `logs of pod ${pod}: ${kubeErrorMessage(error)}`);
    }
    return c.text(text);
  });
}

const DIFF_NOTE =
  "fields are the JSON pointers the controller found differing at its last reconcile (status.resources[].diff); " +
  "desiredYaml is what a sync would make the object (the controller's last server-side-apply dry-run) and liveYaml " +
  "the live object, both normalized, Secret values redacted.";
const DIFF_NOTE_LIVE_ONLY =
  "fields are the JSON pointers the controller found differing at its last reconcile (status.resources[].diff); " +
  "liveYaml is the live object normalized. This API server runs apart from the controller, so the desired side " +
  "(its server-side-apply dry-run) is not available here.";

/**
 * The tether.dev/sync value for a sync request. The options ride along in the value (selected
 * resources, prune), read by the controller's parseSyncRequest. Exported for the CLI's kubeconfig mode.
 */
export function syncAnnotationValue(request: SyncRequest): string {
  const options = {
    ...(request.prune !== undefined ? { prune: request.prune } : {}),
    ...(request.resources ? { resources: request.resources } : {}),
  };
  return Object.keys(options).length ? JSON.stringify(options) : "true";
}

/** The tether.dev/rollback value; 422 naming `id` for an entry the history lacks. Exported for the CLI. */
export function rollbackAnnotationValue(application: Application, request: RollbackRequest): string {
  if (request.id !== "cancel" && !(application.status?.history ?? []).some((h) => h.id === request.id)) {
    throw new HttpError(422, `history has no entry with id ${request.id}`, "id");
  }
  return String(request.id);
}

/**
 * The detail view with what the app's project refuses withheld (see detailOf): deciding needs only
 * discovery and the project, never a read of the objects. Exported for the CLI's kubeconfig mode.
 */
export async function scopedDetailOf(
  deps: Pick<RouteDeps, "liveOf">,
  application: Application,
): Promise<ReturnType<typeof detailOf>> {
  const resources = application.status?.resources ?? [];
  if (resources.length === 0) return detailOf(application);
  const live = await deps.liveOf(application);
  const decisions = new Map(
    await Promise.all(resources.map(async (r) => [r, await live.decide(r)] as const)),
  );
  return detailOf(application, (r) => {
    const decision = decisions.get(r);
    return decision && !decision.permitted ? decision.message : undefined;
  });
}

/**
 * Per-resource diff from status plus the live object, normalized and with Secret values redacted.
 * An object the app's project refuses is listed (whatever its status, so the list itself says
 * nothing about it) with "not permitted", and neither side of it is shown.
 */
export async function diffOf(
  deps: Pick<RouteDeps, "store" | "liveOf" | "desired">,
  namespace: string,
  name: string,
): Promise<DiffResponse> {
  const application = await deps.store.get(namespace, name);
  const live = await deps.liveOf(application);
  const resources: ResourceDiff[] = [];
  for (const r of application.status?.resources ?? []) {
    const ref = {
      group: r.group,
      kind: r.kind,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      name: r.name,
    };
    const decision = await live.decide(r);
    if (!decision.permitted) {
      resources.push({ ...ref, status: "Unknown", fields: [], message: decision.message, permitted: false });
      continue;
    }
    if (r.status !== "OutOfSync") continue;
    const read = await live.managed(r);
    if (read.state === "refused") {
      resources.push({ ...ref, status: "Unknown", fields: [], message: read.message, permitted: false });
      continue;
    }
    const liveYaml =
      read.state === "live"
        ? stringify(maskedSecret(normalizeForDiff(read.object as unknown as JsonObject)))
        : undefined;
    const desired = deps.desired?.({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name });
    const maskedDesired = desired ? maskedSecret(desired) : undefined;
    resources.push({
      ...ref,
      status: r.status,
      fields: r.diff ?? [],
      ...(liveYaml !== undefined ? { liveYaml } : {}),
      ...(maskedDesired !== undefined ? { desiredYaml: stringify(maskedDesired) } : {}),
      ...(r.message ? { message: r.message } : {}),
    });
  }
  return {
    ...(application.status?.sync?.revision ? { revision: application.status.sync.revision } : {}),
    resources,
    note: deps.desired ? DIFF_NOTE : DIFF_NOTE_LIVE_ONLY,
  };
}

/** One Secret masked on its own (every value hidden): the only way an object leaves for a diff view. */
function maskedSecret(object: JsonObject): JsonObject {
  return maskSecretValues(object, undefined)[0] ?? object;
}
