// The UI's client of the Tether API: same origin, the session cookie, and the X-CSRF-Token header
// on every state-changing request (src/api/authn.ts). Types come from the API's own module.
import type {
  ActionResponse,
  ApplicationDetail,
  ApplicationWrite,
  DiffResponse,
  ErrorBody,
  EventView,
  HistoryEntryView,
  ResourceTree,
  SyncRequest,
} from "../api/types";

/** An API answer that was not 2xx, with the API's message and the field at fault when it names one. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Session {
  user: string;
  csrfToken?: string;
}

/** What GET /api/v1/auth/config tells the login page (404 from an older server: no SSO). */
export interface AuthConfig {
  oidc?: { enabled: boolean; name?: string; loginUrl?: string };
}

let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function request<T>(method: string, path: string, body?: unknown, accept = "json"): Promise<T> {
  const headers: Record<string, string> = { accept: accept === "json" ? "application/json" : "text/plain" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const isJson = (response.headers.get("content-type") ?? "").includes("json");
  if (!response.ok) {
    let error: ErrorBody["error"] | undefined;
    if (isJson) {
      try {
        error = (JSON.parse(text) as Partial<ErrorBody>).error;
      } catch {
        error = undefined;
      }
    }
    if (response.status === 401 && path !== SESSION) onUnauthorized?.();
    throw new ApiError(
      response.status,
      error?.message ?? (text || response.statusText),
      error?.code,
      error?.field,
    );
  }
  return (accept === "json" ? (text ? JSON.parse(text) : undefined) : text) as T;
}

const SESSION = "/api/v1/session";
const appPath = (namespace: string, name: string, rest = "") =>
  `/api/v1/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${rest}`;

export const api = {
  async login(username: string, password: string): Promise<Session> {
    const session = await request<Session>("POST", SESSION, { username, password });
    csrfToken = session.csrfToken;
    return session;
  },
  /** Who is logged in (the cookie), or undefined; restores the CSRF token after a reload. */
  async session(): Promise<Session | undefined> {
    try {
      const session = await request<Session>("GET", SESSION);
      csrfToken = session.csrfToken;
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return undefined;
      throw error;
    }
  },
  async logout(): Promise<void> {
    await request("DELETE", SESSION).catch(() => undefined);
    csrfToken = undefined;
  },
  async authConfig(): Promise<AuthConfig> {
    try {
      return await request<AuthConfig>("GET", "/api/v1/auth/config");
    } catch {
      return {}; // 404 (route not there), 401, a network error: no SSO button
    }
  },
  get: (ns: string, name: string) => request<ApplicationDetail>("GET", appPath(ns, name)),
  create: (body: ApplicationWrite) => request<ApplicationDetail>("POST", "/api/v1/applications", body),
  update: (body: ApplicationWrite & { metadata: { namespace: string } }) =>
    request<ApplicationDetail>("PUT", appPath(body.metadata.namespace, body.metadata.name), body),
  remove: (ns: string, name: string, cascade: boolean) =>
    request("DELETE", appPath(ns, name, `?cascade=${cascade}`)),
  refresh: (ns: string, name: string, hard = false) =>
    request<ActionResponse>("POST", appPath(ns, name, `/refresh?type=${hard ? "hard" : "normal"}`)),
  sync: (ns: string, name: string, body: SyncRequest) =>
    request<ActionResponse>("POST", appPath(ns, name, "/sync"), { ...body, dryRun: false }),
  dryRun: (ns: string, name: string, body: SyncRequest) =>
    request<DiffResponse>("POST", appPath(ns, name, "/sync"), { ...body, dryRun: true }),
  rollback: (ns: string, name: string, id: number | "cancel") =>
    request<ActionResponse>("POST", appPath(ns, name, "/rollback"), { id }),
  history: (ns: string, name: string) =>
    request<{ items: HistoryEntryView[] }>("GET", appPath(ns, name, "/history")),
  tree: (ns: string, name: string) => request<ResourceTree>("GET", appPath(ns, name, "/resource-tree")),
  diff: (ns: string, name: string) => request<DiffResponse>("GET", appPath(ns, name, "/diff")),
  events: (ns: string, name: string) => request<{ items: EventView[] }>("GET", appPath(ns, name, "/events")),
  logs: (ns: string, name: string, pod: string, podNamespace?: string) =>
    request<string>(
      "GET",
      appPath(
        ns,
        name,
        `/logs?pod=${encodeURIComponent(pod)}${podNamespace ? `&namespace=${encodeURIComponent(podNamespace)}` : ""}&tailLines=500`,
      ),
      undefined,
      "text",
    ),
};
