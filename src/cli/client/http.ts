// The Backend over Tether's HTTP API. A session token from `tether login` (or an API token) goes in
// `Authorization: Bearer`: authenticate.ts takes a bearer credential as non-ambient, so no CSRF
// token is needed and no cookie is kept.
import type {
  ClusterList,
  ActionResponse,
  ApplicationDetail,
  ApplicationList,
  ApplicationWrite,
  DiffResponse,
  ErrorBody,
  HistoryEntryView,
  ResourceTree,
  SyncRequest,
} from "../../api/types.js";
import type { AppRef, Backend, ListFilter } from "./backend.js";
import { BackendError, UnreachableError } from "./backend.js";

export interface HttpBackendOptions {
  server: string;
  token?: string;
  /** Per request; the API answers quickly, a hung connection should not hang the CLI. */
  timeoutMs?: number;
}

function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === "string";
}

export class HttpBackend implements Backend {
  readonly description: string;
  private readonly server: string;

  constructor(private readonly options: HttpBackendOptions) {
    this.server = options.server.replace(/\/+$/, "");
    this.description = `API server ${this.server}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, {
        method,
        headers: {
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(
        `cannot reach the API server ${this.server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      if (response.status === 401) {
        throw new BackendError(
          401,
          "unauthorized",
          `${this.server}: not logged in or the session expired: run \`tether login\` (or pass --token / TETHER_TOKEN)`,
        );
      }
      if (isErrorBody(parsed)) throw BackendError.fromBody(response.status, parsed);
      throw new BackendError(
        response.status,
        "http",
        `${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    return parsed as T;
  }

  private path(ref: AppRef, rest = ""): string {
    return `/api/v1/applications/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}${rest}`;
  }

  async list(filter: ListFilter = {}) {
    const query = new URLSearchParams();
    if (filter.project) query.set("project", filter.project);
    if (filter.sync) query.set("sync", filter.sync);
    if (filter.health) query.set("health", filter.health);
    for (const label of filter.labels ?? []) query.append("label", label);
    const qs = query.toString();
    return (await this.request<ApplicationList>("GET", `/api/v1/applications${qs ? `?${qs}` : ""}`)).items;
  }

  get(ref: AppRef) {
    return this.request<ApplicationDetail>("GET", this.path(ref));
  }

  create(body: ApplicationWrite) {
    return this.request<ApplicationDetail>("POST", "/api/v1/applications", body);
  }

  async remove(ref: AppRef, cascade: boolean) {
    await this.request("DELETE", this.path(ref, `?cascade=${String(cascade)}`));
  }

  async refresh(ref: AppRef, hard: boolean) {
    await this.request<ActionResponse>("POST", this.path(ref, `/refresh?type=${hard ? "hard" : "normal"}`));
  }

  async sync(ref: AppRef, request: SyncRequest) {
    const answer = await this.request<DiffResponse | ActionResponse>(
      "POST",
      this.path(ref, "/sync"),
      request,
    );
    return request.dryRun ? (answer as DiffResponse) : undefined;
  }

  async rollback(ref: AppRef, id: number | "cancel") {
    await this.request<ActionResponse>("POST", this.path(ref, "/rollback"), { id });
  }

  async history(ref: AppRef) {
    return (await this.request<{ items: HistoryEntryView[] }>("GET", this.path(ref, "/history"))).items;
  }

  diff(ref: AppRef) {
    return this.request<DiffResponse>("GET", this.path(ref, "/diff"));
  }

  async tree(ref: AppRef) {
    return (await this.request<ResourceTree>("GET", this.path(ref, "/resource-tree"))).nodes;
  }

  async clusters() {
    return (await this.request<ClusterList>("GET", "/api/v1/clusters")).items;
  }

  close() {}
}

/** Whether an API server answers /healthz at `server` (a short probe before choosing a mode). */
export async function apiReachable(server: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(`${server.replace(/\/+$/, "")}/healthz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
