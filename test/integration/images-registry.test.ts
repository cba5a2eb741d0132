// The registry client against a real registry (Debian's docker-registry, see test/helpers/registry.ts):
// tag lists across pages, anonymous and Basic (htpasswd) auth, errors naming repository and status.
// Bearer tokens and registries without Link headers are served by a small node:http registry,
// since distribution's token auth needs a separate token service.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ImageError, parseImageName } from "../../src/engine/images/index.js";
import { RegistryClient } from "../../src/controller/images/registry.js";
import { freePort } from "../../src/localcluster/ports.js";
import type { TestRegistry } from "../helpers/registry.js";
import { startTestRegistry } from "../helpers/registry.js";

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-images-registry-"));
after(() => fs.rm(tmp, { recursive: true, force: true }));

const rejection = async (promise: Promise<unknown>): Promise<ImageError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
  return error;
};

describe("registry client: Debian docker-registry, anonymous", () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startTestRegistry(path.join(tmp, "anon"));
    for (let i = 0; i < 23; i += 1) await registry.pushImage("team/app", `1.0.${i}`);
  });
  after(() => registry?.stop());

  test("lists every tag (distribution 2.8 ignores `n` and answers in one page; no loop on it)", async () => {
    const client = new RegistryClient(parseImageName(`${registry.host}/team/app`), {
      insecure: true,
      pageSize: 5,
    });
    const tags = await client.listTags();
    assert.equal(tags.length, 23);
    assert.deepEqual([...tags].sort(), [...(await registry.tags("team/app"))].sort());
  });

  test("an unknown repository is RepositoryNotFound, naming it", async () => {
    const client = new RegistryClient(parseImageName(`${registry.host}/team/nope`), { insecure: true });
    const error = await rejection(client.listTags());
    assert.equal(error.reason, "RepositoryNotFound");
    assert.match(
      error.message,
      new RegExp(`registry ${registry.host} repository team/nope: not found \\(404`),
    );
  });

  test("a registry that is down is RegistryUnreachable, naming it", async () => {
    const port = await freePort();
    const client = new RegistryClient(parseImageName(`127.0.0.1:${port}/team/app`), {
      insecure: true,
      timeoutMs: 2_000,
    });
    const error = await rejection(client.listTags());
    assert.equal(error.reason, "RegistryUnreachable");
    assert.match(
      error.message,
      new RegExp(`registry 127.0.0.1:${port} repository team/app: GET tags/list failed: ECONNREFUSED`),
    );
  });
});

describe("registry client: Debian docker-registry, Basic auth (htpasswd, bcrypt)", () => {
  let registry: TestRegistry;
  const auth = { username: "robot", password: "s3cret-pass" };
  before(async () => {
    registry = await startTestRegistry(path.join(tmp, "basic"), { auth });
    await registry.pushImage("private/app", "2.0.0");
  });
  after(() => registry?.stop());

  test("with credentials: the Basic challenge is answered", async () => {
    const client = new RegistryClient(parseImageName(`${registry.host}/private/app`), {
      insecure: true,
      credentials: auth,
    });
    assert.deepEqual(await client.listTags(), ["2.0.0"]);
  });

  test("without or with wrong credentials: AuthenticationFailed naming repository and status", async () => {
    const none = await rejection(
      new RegistryClient(parseImageName(`${registry.host}/private/app`), { insecure: true }).listTags(),
    );
    assert.equal(none.reason, "AuthenticationFailed");
    assert.match(
      none.message,
      /repository private\/app: the registry refused the credentials \(401 Unauthorized\); no secretRef is set/,
    );
    const wrong = await rejection(
      new RegistryClient(parseImageName(`${registry.host}/private/app`), {
        insecure: true,
        credentials: { ...auth, password: "nope" },
      }).listTags(),
    );
    assert.equal(wrong.reason, "AuthenticationFailed");
    assert.doesNotMatch(wrong.message, /nope/, "the password never appears in messages");
  });
});

describe("registry client: Bearer tokens, Link and n+last pagination (node:http registry)", () => {
  let server: http.Server;
  let host = "";
  const seen: string[] = [];
  const all = Array.from({ length: 7 }, (_, i) => `v${i}`);
  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push(`${url.pathname}${url.search} ${req.headers.authorization ?? "-"}`);
      if (url.pathname === "/token") {
        const basic = Buffer.from("bot:pw").toString("base64");
        if (
          req.headers.authorization !== `Basic ${basic}` ||
          !/^repository:org\/(app|linked):pull$/.test(url.searchParams.get("scope") ?? "") ||
          url.searchParams.get("service") !== "test-registry"
        ) {
          res.writeHead(401).end();
          return;
        }
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ access_token: "tok-1", expires_in: 300 }));
        return;
      }
      if (req.headers.authorization !== "Bearer tok-1") {
        res
          .writeHead(401, {
            "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${url.pathname.split("/").slice(2, 4).join("/")}:pull"`,
          })
          .end();
        return;
      }
      // org/app pages without Link headers (the client must use n + last); org/linked sends Link.
      const n = Number(url.searchParams.get("n"));
      const last = url.searchParams.get("last");
      const start = last ? all.indexOf(last) + 1 : 0;
      const page = all.slice(start, start + n);
      const linked = url.pathname.startsWith("/v2/org/linked/");
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (linked && start + n < all.length)
        headers["link"] = `</v2/org/linked/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ tags: page }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("the WWW-Authenticate challenge leads to the token endpoint; the token is reused across pages", async () => {
    const client = new RegistryClient(parseImageName(`${host}/org/app`), {
      insecure: true,
      pageSize: 3,
      credentials: { username: "bot", password: "pw" },
    });
    assert.deepEqual(await client.listTags(), all);
    assert.equal(seen.filter((s) => s.startsWith("/token")).length, 1, "one token for all pages");
    assert.ok(
      seen.some((s) => s.includes("last=v2")),
      "paged with last=",
    );
  });

  test("follows Link rel=next", async () => {
    const client = new RegistryClient(parseImageName(`${host}/org/linked`), {
      insecure: true,
      pageSize: 2,
      credentials: { username: "bot", password: "pw" },
    });
    seen.length = 0;
    assert.deepEqual(await client.listTags(), all);
    assert.equal(
      seen.filter((s) => s.startsWith("/v2/org/linked/tags/list") && s.endsWith("Bearer tok-1")).length,
      4,
    );
  });

  test("a token endpoint that refuses is AuthenticationFailed, naming it", async () => {
    const client = new RegistryClient(parseImageName(`${host}/org/app`), {
      insecure: true,
      credentials: { username: "bot", password: "bad" },
    });
    const error = await rejection(client.listTags());
    assert.equal(error.reason, "AuthenticationFailed");
    assert.match(
      error.message,
      new RegExp(`repository org/app: the token endpoint http://${host}/token answered 401`),
    );
  });
});
