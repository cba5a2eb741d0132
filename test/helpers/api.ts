// A Tether API server with authentication on, against the real control plane, for the auth
// integration tests: its own system namespace (Secrets, RBAC ConfigMap), its own Application
// namespace with two Applications in projects `a` and `b`, no controller (nothing is synced).
import type { ApiAuth, ApiAuthOptions } from "../../src/api/authn.js";
import { createApiAuth, RBAC_CONFIGMAP, SERVER_KEYS_SECRET } from "../../src/api/authn.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import { errorStatus } from "../../src/kube/client.js";
import { APP_GROUP, IN_CLUSTER } from "./app.js";
import { clients, installCrds, uniqueName } from "./environment.js";

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface AuthApiFixture {
  systemNs: string;
  appNs: string;
  auth: ApiAuth;
  api: ApiServer;
  /** The server's clock is Date.now() + skewMs (tests move time forward with it). */
  skewMs: number;
  call(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: unknown },
  ): Promise<Reply>;
  /** The session signing key, as an operator with access to Secret tether-server-keys has it. */
  sessionKey(): Promise<Buffer>;
  stop(): Promise<void>;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** One request to an API server; the body is parsed when the answer is JSON (`text` keeps it raw). */
export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    redirect: "manual",
    headers: {
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined
      ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }
      : {}),
  });
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").includes("json");
  return {
    status: response.status,
    headers: response.headers,
    body: json ? (JSON.parse(text) as unknown) : text,
    text,
  };
}

/**
 * Reads an event stream until `until` holds for the text so far (or it ends); returns that text.
 * `signal` aborts it from outside. The stream is closed on return.
 */
export async function readStream(
  baseUrl: string,
  headers: Record<string, string>,
  until: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<{ text: string; ended: boolean; status: number }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let text = "";
  let ended = false;
  let status = 0;
  try {
    const response = await fetch(`${baseUrl}/api/v1/stream`, { headers, signal: abort.signal });
    status = response.status;
    if (!response.body) return { text: await response.text(), ended: true, status };
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    while (!until(text)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel().catch(() => undefined);
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { text, ended, status };
}

export async function startAuthApi(
  prefix: string,
  policy: string,
  options: Partial<ApiAuthOptions> = {},
): Promise<AuthApiFixture> {
  await installCrds();
  const { core, custom } = clients();
  const systemNs = uniqueName(`${prefix}-system`);
  const appNs = uniqueName(`${prefix}-apps`);
  for (const name of [systemNs, appNs]) {
    await core.createNamespace({ body: { metadata: { name, labels: { "tether.dev/test": "true" } } } });
  }
  await core.createNamespacedConfigMap({
    namespace: systemNs,
    body: { metadata: { name: RBAC_CONFIGMAP }, data: { "policy.yaml": policy } },
  });
  for (const [name, project] of [
    ["in-a", "a"],
    ["in-b", "b"],
  ] as const) {
    await custom.createNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name, namespace: appNs },
        spec: {
          project,
          source: { repoURL: "https://example.com/r.git", path: "." },
          destination: { server: IN_CLUSTER, namespace: "default" },
        },
      },
    });
  }
  const fixture = { skewMs: 0 } as AuthApiFixture;
  const auth = await createApiAuth({
    clients: clients(),
    namespace: systemNs,
    now: () => Date.now() + fixture.skewMs,
    cacheMs: 0,
    ...options,
  });
  const api = await startApiServer({ clients: clients(), namespace: appNs, auth });
  return Object.assign(fixture, {
    systemNs,
    appNs,
    auth,
    api,
    call: (method: string, path: string, init?: { headers?: Record<string, string>; body?: unknown }) =>
      callApi(api.url, method, path, init),
    async sessionKey() {
      const secret = await core.readNamespacedSecret({ name: SERVER_KEYS_SECRET, namespace: systemNs });
      // The Secret's value is the base64 text of the key (SecretStore keeps strings).
      return Buffer.from(Buffer.from(secret.data?.["sessionKey"] ?? "", "base64").toString("utf8"), "base64");
    },
    async stop() {
      await api.close();
      for (const name of [appNs, systemNs]) {
        await core.deleteNamespace({ name }).catch((error: unknown) => {
          if (errorStatus(error) !== 404) throw error;
        });
      }
    },
  });
}

/** An open event stream: its text so far, and a promise that settles when the server ends it. */
export interface OpenStream {
  text(): string;
  readonly ended: Promise<void>;
  close(): void;
}

export async function openStream(baseUrl: string, headers: Record<string, string>): Promise<OpenStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/stream`, { headers, signal: abort.signal });
  if (response.status !== 200 || !response.body)
    throw new Error(`stream: ${response.status} ${await response.text()}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return { text: () => text, ended, close: () => abort.abort() };
}
