// The Helm repository cache with a scripted fetcher (no network): the index read stops at its size
// limit, an unchanged index is a 304 that reuses the parsed entries, archives are verified and
// cached by digest, and the controller's resolver keeps charts of one repository apart.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { RevisionResolver } from "../../src/controller/revisions.js";
import { SourceError } from "../../src/engine/errors.js";
import type { RepositoryCache } from "../../src/engine/source/index.js";
import { chartRenderSource, createHelmRepositoryCache } from "../../src/engine/source/index.js";

const REPO = "https://charts.example.com/stable";
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-helmrepo-"));
after(() => fs.rm(tmp, { recursive: true, force: true }));

function tarFile(name: string, text: string): Buffer[] {
  const data = Buffer.from(text);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write("0000644\0", 100);
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("0", 156);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return [header, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

const archive = gzipSync(
  Buffer.concat([
    ...tarFile("demo/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
    ...tarFile("demo/templates/cm.yaml", "kind: ConfigMap\n"),
    Buffer.alloc(1024),
  ]),
);
const digest = createHash("sha256").update(archive).digest("hex");
const indexText = (d: string) =>
  `apiVersion: v1\nentries:\n  demo:\n    - name: demo\n      version: 0.1.0\n      digest: ${d}\n      urls: [demo-0.1.0.tgz]\n`;

/** Answers from a table; records every request (URL and validators). */
function scriptedFetcher(routes: Record<string, () => Response>) {
  const requests: string[] = [];
  // The cache always passes a URL string.
  const fetcher = (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    requests.push(`${url}${headers["if-none-match"] ? ` if-none-match ${headers["if-none-match"]}` : ""}`);
    const route = routes[url];
    if (route)
      return Promise.resolve(
        headers["if-none-match"] === '"v1"' ? new Response(null, { status: 304 }) : route(),
      );
    return Promise.resolve(new Response("not found", { status: 404 }));
  };
  return { fetcher: fetcher as unknown as typeof fetch, requests };
}

let dirs = 0;
const cacheDir = () => path.join(tmp, `c${dirs++}`);

describe("Helm repository cache", () => {
  test("an endless index stops being read at the limit; the error names the repository", async () => {
    let pulled = 0;
    const endless = () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled += 1;
            controller.enqueue(new Uint8Array(1024 * 1024));
          },
        }),
      );
    const { fetcher } = scriptedFetcher({ [`${REPO}/index.yaml`]: endless });
    const cache = createHelmRepositoryCache({
      cacheDir: cacheDir(),
      fetcher,
      maxIndexBytes: 4 * 1024 * 1024,
    });
    await assert.rejects(
      cache.resolve(REPO, "demo", "0.1.0"),
      (error: unknown) =>
        error instanceof SourceError &&
        error.reason === "LimitExceeded" &&
        error.message.includes(`Helm repository "${REPO}"`) &&
        error.message.includes("4194304 bytes"),
    );
    assert.ok(pulled <= 7, `read ${pulled} MiB of an endless body`);
  });

  test("a Content-Length over the limit is refused before the body is read", async () => {
    const big = () => new Response("x", { headers: { "content-length": String(100 * 1024 * 1024) } });
    const { fetcher } = scriptedFetcher({ [`${REPO}/index.yaml`]: big });
    const cache = createHelmRepositoryCache({ cacheDir: cacheDir(), fetcher });
    await assert.rejects(cache.resolve(REPO, "demo", undefined), /larger than the limit of 67108864 bytes/);
  });

  test("a password written into repoURL is never sent and never shown", async () => {
    const { fetcher, requests } = scriptedFetcher({});
    const cache = createHelmRepositoryCache({ cacheDir: cacheDir(), fetcher });
    const withPassword = REPO.replace("https://", "https://user:s3cret@");
    await assert.rejects(cache.resolve(withPassword, "demo", "0.1.0"), (error: unknown) => {
      assert.ok(error instanceof SourceError && error.reason === "RepositoryNotFound");
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
    assert.deepEqual(requests, [`${REPO}/index.yaml`]);
    // The real fetch refuses such a URL with a message that quotes it.
    const real = createHelmRepositoryCache({ cacheDir: cacheDir(), timeoutMs: 2_000 });
    await assert.rejects(
      real.resolve("http://user:s3cret@127.0.0.1:1/charts", "demo", undefined),
      (error: unknown) => {
        assert.ok(error instanceof SourceError && error.reason === "RepositoryUnreachable");
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
  });

  test("an unchanged index is a 304 that reuses the entries; a recent one is not asked again", async () => {
    const { fetcher, requests } = scriptedFetcher({
      [`${REPO}/index.yaml`]: () => new Response(indexText(digest), { headers: { etag: '"v1"' } }),
    });
    const cache = createHelmRepositoryCache({ cacheDir: cacheDir(), fetcher });
    const first = await cache.resolve(`${REPO}/`, "demo", "~0.1");
    assert.equal(first.fetched, true);
    assert.equal(first.chart.url, `${REPO}/demo-0.1.0.tgz`);
    const second = await cache.resolve(REPO, "demo", "0.1.0");
    assert.deepEqual(second, { chart: first.chart, fetched: false });
    await cache.resolve(REPO, "demo", "0.1.0", { maxAgeMs: 60_000 });
    assert.deepEqual(requests, [`${REPO}/index.yaml`, `${REPO}/index.yaml if-none-match "v1"`]);
    assert.deepEqual(cache.stats, { indexDownloads: 1, indexNotModified: 1, archiveDownloads: 0 });
  });

  test("archives are verified and cached by digest; a tampered one is refused", async () => {
    const good = scriptedFetcher({
      [`${REPO}/index.yaml`]: () => new Response(indexText(digest)),
      [`${REPO}/demo-0.1.0.tgz`]: () => new Response(archive),
    });
    const dir = cacheDir();
    const cache = createHelmRepositoryCache({ cacheDir: dir, fetcher: good.fetcher, treeLingerMs: 0 });
    const { chart } = await cache.resolve(REPO, "demo", "0.1.0");
    for (let i = 0; i < 2; i++) {
      const tree = await cache.acquireTree(REPO, chart);
      assert.equal(
        await fs.readFile(path.join(tree.dir, "demo/templates/cm.yaml"), "utf8"),
        "kind: ConfigMap\n",
      );
      await tree.release();
    }
    assert.equal(cache.stats.archiveDownloads, 1, "the second tree came from the archive cache");

    const wrong = "0".repeat(64);
    const tampered = scriptedFetcher({
      [`${REPO}/index.yaml`]: () => new Response(indexText(wrong)),
      [`${REPO}/demo-0.1.0.tgz`]: () => new Response(archive),
    });
    const other = createHelmRepositoryCache({ cacheDir: cacheDir(), fetcher: tampered.fetcher });
    const resolved = await other.resolve(REPO, "demo", "0.1.0");
    await assert.rejects(
      other.acquireTree(REPO, resolved.chart),
      (error: unknown) =>
        error instanceof SourceError &&
        error.reason === "DigestMismatch" &&
        error.message.includes(`chart "demo" 0.1.0`) &&
        error.message.includes(digest),
    );
  });

  test("the render input names the digest: a republished version is another render", () => {
    const chart = { name: "demo", version: "0.1.0", digest, url: "", created: "" };
    const source = { repoURL: REPO, chart: "demo", targetRevision: "~0.1", path: "ignored" };
    const a = chartRenderSource(source, chart);
    const b = chartRenderSource(source, { ...chart, digest: "f".repeat(64) });
    assert.notEqual(a.commit, b.commit);
    assert.deepEqual(a.source, { repoURL: REPO, chart: undefined, path: "demo", targetRevision: undefined });
  });
});

test("RevisionResolver keeps charts of one repository apart and gives the version as revision", async () => {
  const asked: string[] = [];
  const charts = {
    resolve: (_repo: string, chart: string, target: string | undefined) => {
      asked.push(`${chart}@${target ?? ""}`);
      const version = chart === "a" ? "1.0.0" : "2.0.0";
      return Promise.resolve({
        chart: { name: chart, version, digest, url: `${REPO}/${chart}.tgz`, created: "" },
        fetched: true,
      });
    },
  };
  const git = { resolve: () => Promise.reject(new Error("not Git")) } as unknown as RepositoryCache;
  const resolver = new RevisionResolver(git, 60_000, Date.now, charts);
  const [a, b] = await Promise.all([
    resolver.resolve(REPO, "*", false, "a"),
    resolver.resolve(REPO, "*", false, "b"),
  ]);
  assert.deepEqual([a.commit, b.commit], ["1.0.0", "2.0.0"]);
  assert.match(a.message, new RegExp(`^chart a 1\\.0\\.0 \\(sha256:${digest}\\)`));
  assert.deepEqual(asked, ["a@*", "b@*"]);
  const secret = await resolver.resolve(REPO.replace("https://", "https://u:s3cret@"), "*", false, "a");
  assert.doesNotMatch(secret.message, /s3cret/);
});
