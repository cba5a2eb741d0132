// A client for the Docker Registry HTTP API v2, just what scanning needs: the tag list, with
// pagination (Link header, else `n`+`last`) and the three ways registries authenticate —
// anonymous, Basic, and Bearer tokens fetched from the realm named by the WWW-Authenticate challenge
// (Docker Hub, GHCR, distribution's token auth). Errors name the registry, repository and status.
import type { ImageName, RegistryCredentials } from "../../engine/images/index.js";
import { ImageError } from "../../engine/images/index.js";

export interface RegistryClientOptions {
  /** Plain HTTP (a registry on loopback); HTTPS otherwise. */
  readonly insecure?: boolean;
  readonly credentials?: RegistryCredentials;
  readonly timeoutMs?: number;
  /** Tags asked for per page. */
  readonly pageSize?: number;
  /** Safety cap on pages followed. */
  readonly maxPages?: number;
  readonly fetch?: typeof fetch;
}

interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (one challenge; the first if several). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? "").matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(p[1] ?? "").toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  }
  return { scheme: (m[1] ?? "").toLowerCase(), params };
}

/** The `rel="next"` target of a Link header, resolved against the request URL. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2] ?? "")) return new URL(m[1] ?? "", base).toString();
  }
  return undefined;
}

export class RegistryClient {
  private token: { value: string; expires: number } | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly image: ImageName,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  private get where(): string {
    return `registry ${this.image.registry} repository ${this.image.repository}`;
  }

  private get base(): string {
    return `${this.options.insecure ? "http" : "https"}://${this.image.registry}`;
  }

  /** Every tag of the repository, in the order the registry lists them. */
  async listTags(): Promise<string[]> {
    const pageSize = this.options.pageSize ?? 1000;
    const maxPages = this.options.maxPages ?? 100;
    const first = `${this.base}/v2/${this.image.repository}/tags/list?n=${pageSize}`;
    const tags: string[] = [];
    const seen = new Set<string>();
    let url: string | undefined = first;
    for (let page = 0; url; page += 1) {
      if (page >= maxPages)
        throw new ImageError("RegistryError", `${this.where}: more than ${maxPages} pages of tags`);
      const response = await this.get(url);
      const body = (await response.json().catch(() => undefined)) as { tags?: unknown } | undefined;
      if (!body || (body.tags !== null && body.tags !== undefined && !Array.isArray(body.tags))) {
        throw new ImageError(
          "RegistryError",
          `${this.where}: the tag list is not the JSON the v2 API defines`,
        );
      }
      const pageTags = ((body.tags as unknown[] | null) ?? []).filter(
        (t): t is string => typeof t === "string",
      );
      const fresh = pageTags.filter((t) => !seen.has(t));
      for (const t of fresh) seen.add(t);
      tags.push(...fresh);
      const link = nextLink(response.headers.get("link"), url);
      // Without a Link header, exactly `n` tags means there may be more after the last one; more
      // than `n` means the registry ignores `n` (distribution 2.8 does) and sent everything. A page
      // with nothing new ends it too, so a registry that ignores `last` cannot loop us.
      const last = pageTags.at(-1);
      const more = fresh.length > 0 && pageTags.length === pageSize && last !== undefined;
      url = link && fresh.length > 0 ? link : more ? `${first}&last=${encodeURIComponent(last)}` : undefined;
    }
    return tags;
  }

  /** GET with auth: anonymous (or a cached token) first, then whatever the challenge asks for. */
  private async get(url: string): Promise<Response> {
    let response = await this.send(url, this.currentAuth());
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
      await response.body?.cancel();
      response = await this.send(url, await this.answer(challenge));
    }
    if (response.ok) return response;
    await response.body?.cancel();
    const status = `${response.status} ${response.statusText}`.trim();
    if (response.status === 401 || response.status === 403) {
      throw new ImageError(
        "AuthenticationFailed",
        `${this.where}: the registry refused the credentials (${status})${this.options.credentials ? "" : "; no secretRef is set"}`,
      );
    }
    if (response.status === 404)
      throw new ImageError("RepositoryNotFound", `${this.where}: not found (${status})`);
    throw new ImageError(
      response.status >= 500 ? "RegistryUnreachable" : "RegistryError",
      `${this.where}: GET tags/list answered ${status}`,
    );
  }

  private currentAuth(): string | undefined {
    if (this.token && this.token.expires > Date.now()) return `Bearer ${this.token.value}`;
    return undefined;
  }

  private basic(): string | undefined {
    const c = this.options.credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}` : undefined;
  }

  private async answer(challenge: Challenge | undefined): Promise<string | undefined> {
    if (challenge?.scheme === "basic") return this.basic();
    if (challenge?.scheme !== "bearer" || !challenge.params["realm"]) {
      throw new ImageError(
        "AuthenticationFailed",
        `${this.where}: 401 without a usable WWW-Authenticate challenge`,
      );
    }
    const realm = new URL(challenge.params["realm"]);
    if (challenge.params["service"]) realm.searchParams.set("service", challenge.params["service"]);
    realm.searchParams.set("scope", challenge.params["scope"] ?? `repository:${this.image.repository}:pull`);
    const response = await this.send(realm.toString(), this.basic(), "token endpoint");
    if (!response.ok) {
      await response.body?.cancel();
      throw new ImageError(
        "AuthenticationFailed",
        `${this.where}: the token endpoint ${realm.origin}${realm.pathname} answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = body.token ?? body.access_token;
    if (!value)
      throw new ImageError("AuthenticationFailed", `${this.where}: the token endpoint returned no token`);
    // Default lifetime per the token spec is 60 s; renew a little early.
    this.token = { value, expires: Date.now() + Math.max((body.expires_in ?? 60) - 10, 1) * 1000 };
    return `Bearer ${value}`;
  }

  private async send(
    url: string,
    authorization: string | undefined,
    what = "GET tags/list",
  ): Promise<Response> {
    try {
      return await this.fetchImpl(url, {
        headers: { accept: "application/json", ...(authorization ? { authorization } : {}) },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        redirect: "follow",
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ImageError("RegistryUnreachable", `${this.where}: ${what} failed: ${detail}`, {
        cause: error,
      });
    }
  }
}
