// A real smart-HTTP Git server: node:http in front of `git http-backend` (CGI), serving every bare
// repository under `root`. Clone, fetch, ls-remote and push work with any git client. Optional basic
// auth; `setOffline(true)` answers 503 so tests can simulate a Git outage without losing the port.
import { spawn } from "node:child_process";
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { cleanGitEnv, git } from "../engine/source/gitcli.js";

export interface GitServerOptions {
  readonly root: string;
  readonly port?: number;
  readonly host?: string;
  readonly auth?: { readonly username: string; readonly password: string };
  /** Where a failing push listener is reported (stderr by default). */
  readonly log?: (line: string) => void;
}

export interface GitServer {
  /** Base URL; a repository `name` is at `${url}/${name}.git`. */
  readonly url: string;
  readonly root: string;
  readonly port: number;
  /** Creates an empty bare repository (default branch `main`) and returns its clone URL. */
  createRepository(name: string): Promise<string>;
  repositoryUrl(name: string): string;
  setOffline(offline: boolean): void;
  /** Calls `listener(repository)` after every successful push (what a forge's webhook would report). */
  onPush(listener: (repository: string) => void): () => void;
  /** Requests served so far (for tests that count fetches). */
  readonly requestCount: number;
  close(): Promise<void>;
}

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** `/<repo>.git/<smart-HTTP endpoint>`, where repo may have folders; nothing else reaches git. */
const SERVICE_PATH =
  /^\/(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)*[A-Za-z0-9][A-Za-z0-9._-]*\.git\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD)$/;

function acceptablePath(rawUrl: string | undefined): boolean {
  try {
    const pathname = decodeURIComponent(new URL(rawUrl ?? "/", "http://localhost").pathname);
    return SERVICE_PATH.test(pathname) && !pathname.split("/").includes("..");
  } catch {
    return false;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, auth: GitServerOptions["auth"]): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  // Evaluate both comparisons so timing does not reveal which part was wrong.
  const userOk = sameSecret(decoded.slice(0, colon), auth.username);
  const passOk = sameSecret(decoded.slice(colon + 1), auth.password);
  return userOk && passOk;
}

/** Runs one CGI request through `git http-backend`, streaming both bodies. */
function serveWithHttpBackend(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  user: string | undefined,
  onDone: (code: number | null) => void,
) {
  const url = new URL(req.url ?? "/", "http://localhost");
  const env = cleanGitEnv({
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_COUNT: "3",
    GIT_CONFIG_KEY_2: "http.receivepack",
    GIT_CONFIG_VALUE_2: "true",
    PATH_INFO: decodeURIComponent(url.pathname),
    REQUEST_METHOD: req.method ?? "GET",
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: user ?? "anonymous",
    GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
  });
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf("\r\n\r\n");
    let sep = 4;
    if (end < 0) {
      end = head.indexOf("\n\n");
      sep = 2;
    }
    if (end < 0) return;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    headersSent = true;
    res.write(head.subarray(end + sep));
  });
  child.on("close", (code) => {
    onDone(code);
    if (!headersSent) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`git http-backend exited ${code}: ${stderr.trim()}\n`);
      return;
    }
    res.end();
  });
  req.on("aborted", () => child.kill("SIGKILL"));
}

export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = path.resolve(options.root);
  const host = options.host ?? "127.0.0.1";
  let offline = false;
  let requestCount = 0;
  const pushListeners = new Set<(repository: string) => void>();
  const server = http.createServer((req, res) => {
    requestCount += 1;
    if (offline) {
      res.writeHead(503, { "content-type": "text/plain" });
      return void res.end("git server is offline (test fault)\n");
    }
    if (!authorized(req, options.auth)) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="tether-git"', "content-type": "text/plain" });
      return void res.end("authentication required\n");
    }
    if (!acceptablePath(req.url)) {
      res.writeHead(400, { "content-type": "text/plain" });
      return void res.end("not a Git smart-HTTP path\n");
    }
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const pushed = /^\/(.+)\.git\/git-receive-pack$/.exec(pathname)?.[1];
    serveWithHttpBackend(root, req, res, options.auth?.username, (code) => {
      if (code !== 0 || !pushed) return;
      for (const listener of pushListeners) {
        // One listener's failure neither skips the others nor escapes into the server (a crash).
        try {
          listener(pushed);
        } catch (error) {
          (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(
            `git server: push listener for ${pushed}.git failed: ${String(error)}`,
          );
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  const repositoryUrl = (name: string) => `${url}/${name}.git`;
  return {
    url,
    root,
    port,
    repositoryUrl,
    get requestCount() {
      return requestCount;
    },
    async createRepository(name: string) {
      if (!REPO_NAME.test(name)) throw new Error(`repository name "${name}" must match ${REPO_NAME.source}`);
      await git(["init", "--quiet", "--bare", "--initial-branch=main", path.join(root, `${name}.git`)]);
      return repositoryUrl(name);
    },
    setOffline(value: boolean) {
      offline = value;
    },
    onPush(listener) {
      pushListeners.add(listener);
      return () => pushListeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
