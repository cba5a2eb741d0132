// The controller's cache folder (Git mirrors, trees) becomes unusable: the app gets a clear error
// condition, nothing is applied or pruned from a half-read source, and once the folder is usable
// again the app catches up on its own. Tests run as root, for whom chmod takes no write access
// away, so the folder is swapped for a regular file: every write (and read) under it fails.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("faults: the cache folder becomes unwritable", () => {
  let fx: ControllerFixture;
  let tmp: string;
  let cacheDir: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-fault-cache-"));
    cacheDir = path.join(tmp, "cache");
    await fs.mkdir(cacheDir);
    fx = await startControllerFixture("fault-cache", { cacheDir });
  });
  after(async () => {
    await fx?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test("a clear error while it is unusable, nothing pruned; recovers by itself when writable again", async () => {
    const ns = await fx.namespace("fault-cache");
    const { url, ws } = await fx.repository("cached", {
      "app/a.yaml": configMap("a", { v: "1" }),
      "app/b.yaml": configMap("b", { v: "1" }),
    });
    await fx.createApp("cached", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp("cached", "Synced", (a) => a.status?.sync?.status === "Synced");

    const moved = path.join(tmp, "cache.moved");
    await fs.rename(cacheDir, moved);
    await fs.writeFile(cacheDir, "not a folder\n");
    const next = await ws.commitAndPush(
      { "app/a.yaml": configMap("a", { v: "2" }), "app/b.yaml": null },
      "a to v2, b removed",
    );
    await fx.annotate("cached", { "tether.dev/refresh": "normal" });
    const failing = await fx.waitApp(
      "cached",
      "an error condition",
      (a) => condition(a, "ComparisonError")?.status === "True",
    );
    const message = condition(failing, "ComparisonError")?.message ?? "";
    assert.match(
      message,
      new RegExp(cacheDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")),
      `names the cache path: ${message}`,
    );
    const read = (name: string) => clients().core.readNamespacedConfigMap({ name, namespace: ns });
    assert.equal((await read("a")).data?.["v"], "1", "nothing applied from a source it could not read");
    assert.equal((await read("b")).metadata?.deletionTimestamp, undefined, "nothing pruned");

    await fs.rm(cacheDir);
    await fs.rename(moved, cacheDir);
    // No refresh request: the controller retries on its own (poll interval / error back-off).
    const recovered = await fx.waitApp(
      "cached",
      "Synced at the new commit",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === next,
      60_000,
    );
    assert.equal(condition(recovered, "ComparisonError"), undefined, "the error condition is gone");
    assert.equal((await read("a")).data?.["v"], "2");
  });
});
