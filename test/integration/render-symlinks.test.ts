// Issue 17, item 1: a repository's symlinks must never let a render read outside it. Each case is a
// real repository pushed to the real Git server, rendered by the controller from its extracted
// tree; the render is refused naming the link (PathOutsideRepository), nothing is applied, and the
// target's content appears nowhere: status, Events, the controller's log, the API's /diff. First
// the attack as reported (a chart's folder link to a folder holding links out, read with
// .Files.Get), then the variants a second round would try: relative chains, /proc, a kustomize
// base elsewhere in the repository, a Helm dependency in charts/, value files, a folder outside the
// rendered one, dangling links, loops; and the ApplicationSet Git files generator.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { ApplicationSource } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { appSets, names, setCondition } from "../helpers/appset.js";
import { clients, testEnv } from "../helpers/environment.js";

const CANARY = `outside-canary-${randomBytes(4).toString("hex")}`;
const chartYaml = (name: string, deps = "") => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n${deps}`;
/** A chart template that puts a file's content into a ConfigMap, as the reported attack did. */
const filesGet = (name: string, file: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  stolen: {{ .Files.Get ${JSON.stringify(file)} | quote }}\n`;

describe("render: every symlink in the repository must resolve inside it", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let outside: string;
  let ns: string;
  const workspaces: GitWorkspace[] = [];

  before(async () => {
    fx = await startControllerFixture("render-symlinks");
    ns = await fx.namespace("render-symlinks-dest");
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      heartbeatMs: 200,
      auth: false,
      desired: (ref) => fx.controller.desiredOf(ref),
    });
    // Files a hostile repository would reach: beside the controller's data, never in a repository.
    outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-symlinks-outside-")));
    await fs.writeFile(path.join(outside, "canary.txt"), `${CANARY}\n`);
    await fs.writeFile(path.join(outside, "values.yaml"), `stolen: ${CANARY}\n`);
    await fs.writeFile(path.join(outside, "team.json"), JSON.stringify({ team: "leaked", canary: CANARY }));
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
    for (const ws of workspaces) await ws.remove();
    if (outside) await fs.rm(outside, { recursive: true, force: true });
  });

  /** A repository with these files and symlinks (link → target, as committed) on main. */
  async function repository(name: string, files: Record<string, string>, links: Record<string, string>) {
    const url = await fx.git.createRepository(name);
    const ws = await GitWorkspace.clone(url);
    workspaces.push(ws);
    await ws.write(files);
    for (const [link, target] of Object.entries(links)) {
      await fs.mkdir(path.dirname(path.join(ws.dir, link)), { recursive: true });
      await fs.symlink(target, path.join(ws.dir, link));
    }
    await ws.commit(`${name}: initial commit`);
    await ws.push();
    return { url, ws };
  }

  const createApp = (name: string, url: string, source: Partial<ApplicationSource>) =>
    fx.createApp(name, {
      source: { repoURL: url, targetRevision: "main", ...source },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });

  /** Waits for the refusal naming `link`, then checks nothing was applied and nothing leaked. */
  async function refused(name: string, link: RegExp, forbidden: readonly string[] = []) {
    const app = await fx.waitApp(
      name,
      "render refused: PathOutsideRepository",
      (a) => condition(a, "ComparisonError")?.reason === "PathOutsideRepository",
    );
    const message = condition(app, "ComparisonError")?.message ?? "";
    assert.match(message, new RegExp(`^render: ${link.source} is a symlink that leaves the repository`));
    assert.deepEqual(app.status?.resources ?? [], [], "nothing applied");
    const cms = await clients().core.listNamespacedConfigMap({ namespace: ns });
    assert.deepEqual(
      cms.items.map((c) => c.metadata?.name).filter((n) => n === name),
      [],
      "no ConfigMap written",
    );
    const diff = await fetch(`${api.url}/api/v1/applications/${fx.appNs}/${name}/diff`);
    const places: Record<string, string> = {
      status: JSON.stringify(app),
      events: JSON.stringify(await clients().core.listNamespacedEvent({ namespace: fx.appNs })),
      log: fx.lines.join("\n"),
      diff: `${diff.status} ${await diff.text()}`,
    };
    for (const [where, text] of Object.entries(places)) {
      for (const value of [CANARY, "client-key-data", "root:x:0:0", ...forbidden]) {
        assert.ok(!text.includes(value), `${where} shows ${value}`);
      }
    }
    return app;
  }

  test("the reported attack: chart/ext -> ../other, other/kc -> the admin kubeconfig, other/passwd -> /etc/passwd", async () => {
    const kubeconfig = testEnv.kubeconfig;
    const { url, ws } = await repository(
      "attack",
      {
        "chart/Chart.yaml": chartYaml("attack"),
        "chart/templates/kc.yaml": filesGet("attack", "ext/kc"),
        "chart/templates/passwd.yaml": filesGet("attack-passwd", "ext/passwd"),
        "other/readme.txt": "inside the repository\n",
      },
      { "chart/ext": "../other", "other/kc": kubeconfig, "other/passwd": "/etc/passwd" },
    );
    await createApp("attack", url, { path: "chart" });
    const app = await refused("attack", /other\/kc/, [kubeconfig]);
    assert.match(condition(app, "ComparisonError")?.message ?? "", /points to an absolute path/);

    // The author removes the links out; the folder link inside and a dangling link whose path stays
    // inside are fine, and the app syncs: the refusal lost nothing.
    await fs.rm(path.join(ws.dir, "other/kc"));
    await fs.rm(path.join(ws.dir, "other/passwd"));
    await fs.symlink("not-yet-there.yaml", path.join(ws.dir, "dangling"));
    await ws.commitAndPush(
      {
        "chart/templates/kc.yaml": filesGet("attack", "ext/readme.txt"),
        "chart/templates/passwd.yaml": null,
      },
      "only links inside",
    );
    await fx.annotate("attack", { "tether.dev/refresh": "normal" });
    await fx.waitApp(
      "attack",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "ComparisonError"),
    );
    const live = await clients().core.readNamespacedConfigMap({ name: "attack", namespace: ns });
    assert.equal(live.data?.["stolen"], "inside the repository\n");
  });

  test("a chain of relative links climbing above the root", async () => {
    const { url } = await repository(
      "chain",
      { "chart/Chart.yaml": chartYaml("chain"), "chart/templates/cm.yaml": filesGet("chain", "ext/passwd") },
      { "chart/ext": "../a", a: "b", b: "../../../../../../../../../../../../etc" },
    );
    await createApp("chain", url, { path: "chart" });
    const app = await refused("chain", /a/);
    assert.match(condition(app, "ComparisonError")?.message ?? "", /climbs above the repository root/);
  });

  test("a link into /proc (the controller's own environment)", async () => {
    const { url } = await repository(
      "proc",
      { "chart/Chart.yaml": chartYaml("proc"), "chart/templates/cm.yaml": filesGet("proc", "ext/environ") },
      { "chart/ext": "/proc/self" },
    );
    await createApp("proc", url, { path: "chart" });
    await refused("proc", /chart\/ext/, ["PATH="]);
  });

  test("kustomize: a base elsewhere in the repository whose generator reads through a folder link", async () => {
    const { url } = await repository(
      "kbase",
      {
        "app/kustomization.yaml": "resources:\n  - ../base\n",
        "base/kustomization.yaml": "configMapGenerator:\n  - name: kbase\n    files:\n      - cfg/secret\n",
      },
      { "base/cfg": "../shared", "shared/secret": path.join(outside, "canary.txt") },
    );
    await createApp("kbase", url, { path: "app" });
    await refused("kbase", /shared\/secret/);
  });

  test("helm: a dependency in charts/ linked to a library chart that reads through a link out", async () => {
    const { url } = await repository(
      "helmdep",
      {
        "chart/Chart.yaml": chartYaml("helmdep", "dependencies:\n  - name: lib\n    version: 0.1.0\n"),
        "lib/Chart.yaml": chartYaml("lib"),
        "lib/templates/cm.yaml": filesGet("helmdep", "data/canary.txt"),
      },
      { "chart/charts/lib": "../../lib", "lib/data": outside },
    );
    await createApp("helmdep", url, { path: "chart" });
    await refused("helmdep", /lib\/data/, [outside]);
  });

  test("helm: valueFiles through a folder link to a file linked out", async () => {
    const { url } = await repository(
      "values",
      {
        "chart/Chart.yaml": chartYaml("values"),
        "chart/templates/cm.yaml": configMap("values", { a: "{{ .Values.stolen }}" }),
      },
      { vals: "conf", "conf/prod.yaml": path.join(outside, "values.yaml") },
    );
    await createApp("values", url, { path: "chart", helm: { valueFiles: ["../vals/prod.yaml"] } });
    await refused("values", /conf\/prod\.yaml/);
  });

  test("directory source: a link out anywhere in the repository refuses it, not only in the folder rendered", async () => {
    const { url } = await repository(
      "elsewhere",
      { "plain/cm.yaml": configMap("elsewhere", { a: "1" }), "docs/README.md": "notes\n" },
      { "docs/hosts": "/etc/hosts" },
    );
    await createApp("elsewhere", url, { path: "plain" });
    await refused("elsewhere", /docs\/hosts/);
  });

  test("a dangling link naming a path above the root", async () => {
    const { url } = await repository(
      "dangling",
      { "plain/cm.yaml": configMap("dangling", { a: "1" }) },
      { "plain/later.yaml": "missing/../../../../../../../../etc/shadow" },
    );
    await createApp("dangling", url, { path: "plain" });
    await refused("dangling", /plain\/later\.yaml/);
  });

  test("a symlink loop, and a link to a folder that contains it", async () => {
    const loop = await repository(
      "loop",
      { "chart/Chart.yaml": chartYaml("loop"), "chart/templates/cm.yaml": filesGet("loop", "loop/x") },
      { "chart/loop": "../loop2", loop2: "chart/loop" },
    );
    await createApp("loop", loop.url, { path: "chart" });
    const app = await refused("loop", /chart\/loop/);
    assert.match(condition(app, "ComparisonError")?.message ?? "", /symlink loop/);

    const self = await repository(
      "self",
      { "chart/Chart.yaml": chartYaml("self"), "chart/templates/cm.yaml": configMap("self", { a: "1" }) },
      { "chart/self": "." },
    );
    await createApp("self", self.url, { path: "chart" });
    const selfApp = await refused("self", /chart\/self/);
    assert.match(condition(selfApp, "ComparisonError")?.message ?? "", /contains it/);
  });

  test("helm: a cycle of folder links, each to a plain folder elsewhere (chart/a -> ../b, b/m -> ../chart)", async () => {
    // helm's chart loader follows folder links: chart/a/m/a/m/… is endless, though neither link
    // points to a folder that contains it. Refused before helm runs, naming a link, not a target.
    const { url } = await repository(
      "cycle",
      {
        "chart/Chart.yaml": chartYaml("cycle"),
        "chart/templates/cm.yaml": configMap("cycle", { a: "1" }),
        "b/x.txt": "x\n",
      },
      { "chart/a": "../b", "b/m": "../chart" },
    );
    await createApp("cycle", url, { path: "chart" });
    const app = await refused("cycle", /b\/m/);
    const message = condition(app, "ComparisonError")?.message ?? "";
    assert.match(message, /cycle of folder symlinks/);
    assert.ok(!message.includes("../chart"), "the target is not named");
  });

  test("ApplicationSet Git files generator: links are neither listed nor read", async () => {
    const sets = appSets(fx);
    const { url } = await repository(
      "appset",
      {
        "config/a.json": JSON.stringify({ team: "a" }),
        "more/b.json": JSON.stringify({ team: "b" }),
        "apps/a/cm.yaml": configMap("appset-a", { a: "1" }),
      },
      {
        "config/leak.json": path.join(outside, "team.json"),
        "config/ext": outside,
        "config/in": "../more",
      },
    );
    await sets.create("files", {
      generators: [{ git: { repoURL: url, revision: "main", files: [{ path: "config/**/*.json" }] } }],
      template: {
        metadata: { name: "files-{{team}}" },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "apps/{{team}}" },
          destination: { server: IN_CLUSTER, namespace: ns },
        },
      },
    });
    const set = await sets.wait(
      "files",
      "generated, no error",
      (s) => setCondition(s, "ErrorOccurred")?.status === "False" && (s.status?.resources?.length ?? 0) > 0,
    );
    assert.deepEqual(names(await sets.generated("files")), ["files-a"], "only the regular file's parameters");
    assert.ok(!JSON.stringify(set).includes(CANARY));
    // The generated app renders from the same repository, which holds links out: refused too.
    await refused("files-a", /config\/ext/, [outside]);
    await sets.remove("files");
  });
});
