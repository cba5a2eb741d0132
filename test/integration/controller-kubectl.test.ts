// `kubectl get applications -A` shows what a user needs at a glance: SYNC, HEALTH, REVISION, AGE.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import https from "node:https";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients, testEnv } from "../helpers/environment.js";

interface Table {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[]; object: { metadata: { name: string; namespace: string } } }[];
}

/** GET with the Accept header kubectl sends for `get`: the server-side printed Table. */
async function getTable(path: string): Promise<Table> {
  const config = clients().config;
  const server = new URL(config.getCurrentCluster()?.server ?? "");
  const options: https.RequestOptions = {
    hostname: server.hostname,
    port: server.port,
    path,
    headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    https
      .get(options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200) reject(new Error(`GET ${path}: ${response.statusCode} ${text}`));
          else resolve(JSON.parse(text) as Table);
        });
      })
      .on("error", reject);
  });
}

async function kubectlAvailable(): Promise<boolean> {
  try {
    await promisify(execFile)("kubectl", ["version", "--client"]);
    return true;
  } catch {
    return false;
  }
}

describe("controller: kubectl get applications", () => {
  let fx: ControllerFixture;
  let sha: string;

  before(async () => {
    fx = await startControllerFixture("ctl-kubectl");
    const { url, ws } = await fx.repository("table", {
      "cfg/settings.yaml": configMap("settings", { a: "1" }),
    });
    sha = await ws.head();
    const ns = await fx.namespace("ctl-kubectl");
    await fx.createApp("listed", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp(
      "listed",
      "Synced and Healthy",
      (a) => a.status?.sync?.status === "Synced" && a.status.health?.status === "Healthy",
    );
  });
  after(() => fx?.stop());

  test("the apiserver's Table has SYNC, HEALTH, REVISION and AGE with values", async () => {
    const table = await getTable("/apis/tether.dev/v1alpha1/applications");
    const names = table.columnDefinitions.map((c) => c.name);
    for (const column of ["Name", "Sync", "Health", "Revision", "Age"])
      assert.ok(names.includes(column), `${column} in ${names.join(", ")}`);
    const row = table.rows.find(
      (r) => r.object.metadata.name === "listed" && r.object.metadata.namespace === fx.appNs,
    );
    assert.ok(row, "the app is listed across namespaces");
    const cell = (name: string) => row.cells[names.indexOf(name)];
    assert.equal(cell("Sync"), "Synced");
    assert.equal(cell("Health"), "Healthy");
    assert.equal(cell("Revision"), sha);
    assert.match(String(cell("Age")), /^\d+[smhd]/);
  });

  test("kubectl get applications -A prints the columns and the app's values", async (t) => {
    if (!(await kubectlAvailable())) {
      t.skip("kubectl is not on PATH (the Table test above covers the same columns)");
      return;
    }
    const { stdout } = await promisify(execFile)("kubectl", [
      "--kubeconfig",
      testEnv.kubeconfig,
      "get",
      "applications.tether.dev",
      "-A",
    ]);
    const lines = stdout.trim().split("\n");
    const header = lines[0]?.split(/\s+/) ?? [];
    assert.deepEqual(header.slice(0, 6), ["NAMESPACE", "NAME", "SYNC", "HEALTH", "REVISION", "AGE"]);
    const row = lines
      .map((l) => l.split(/\s+/))
      .find((cells) => cells[0] === fx.appNs && cells[1] === "listed");
    assert.ok(row, `app row in:\n${stdout}`);
    assert.equal(row[2], "Synced");
    assert.equal(row[3], "Healthy");
    assert.equal(row[4], sha);
    assert.match(row[5] ?? "", /^\d+[smhd]/);
  });
});
