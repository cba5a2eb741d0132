// Issue 17, items 3 and 4, on the real control plane.
// 1. Validation at the door: the CRDs' CEL rules are accepted by the real apiserver, and bad
//    Applications, AppProjects, ApplicationSets and ImageUpdateAutomations are refused with a
//    message naming the field; the URL spellings Tether accepts are admitted.
// 2. Containment inside: malformed objects stored under an older, looser CRD (installed here for a
//    moment, then the real one again) are driven through every per-app path — push hook, webhooks
//    of each forge, refresh, poll, ApplicationSets, notifications, image automation — and the
//    process stays up, the healthy app keeps syncing, and a URL with dot segments never fetches
//    the repository it climbs to.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { handleWebhook } from "../../src/api/webhook.js";
import type { OutgoingRequest } from "../../src/controller/notifications/delivery.js";
import { ResourceClient } from "../../src/kube/resources.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { refreshOnPush } from "../../src/localcluster/product.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { startLocalEnvironment, type LocalEnvironment } from "../../src/localcluster/environment.js";
import { applicationCrd, applicationSetCrd, appProjectCrd } from "../../src/model/crd.js";
import { repoUrlProblem } from "../../src/engine/source/url.js";
import { imageCrd } from "../../src/model/imagecrds.js";
import type { ControllerFixture } from "../helpers/app.js";
import { APP_GROUP, condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients, installCrds } from "../helpers/environment.js";
import { REPO_URL_VERDICTS } from "../helpers/repo-url-table.js";

const GROUP = { group: "tether.dev", version: "v1alpha1" } as const;
type Body = Record<string, unknown>;

/** The message of a refused create, or undefined when the apiserver accepted it. */
async function refusal(plural: string, namespace: string, body: Body): Promise<string | undefined> {
  try {
    await clients().custom.createNamespacedCustomObject({ ...GROUP, plural, namespace, body });
    return undefined;
  } catch (error) {
    const e = error as { code?: number; body?: unknown; message?: string };
    const text = typeof e.body === "string" ? e.body : JSON.stringify(e.body ?? e.message ?? "");
    if (e.code !== 422) throw new Error(`expected 422, got ${e.code}: ${text}`);
    return text;
  }
}

/** Like `refusal`, as a server-side dry run: the CRD's rules judge the object and nothing is stored. */
async function dryRunRefusal(plural: string, namespace: string, body: Body): Promise<string | undefined> {
  try {
    const path = `/apis/${GROUP.group}/${GROUP.version}/namespaces/${namespace}/${plural}`;
    await clients().raw.request({ method: "POST", path, query: { dryRun: "All" }, body });
    return undefined;
  } catch (error) {
    const e = error as { code?: number; body?: unknown; message?: string };
    const text = typeof e.body === "string" ? e.body : JSON.stringify(e.body ?? e.message ?? "");
    if (e.code !== 422) throw new Error(`expected 422, got ${e.code}: ${text}`);
    return text;
  }
}

/** The CRD as generated, with a schema that accepts anything: what an older, looser CRD stored. */
function loose(crd: Body): Body {
  const copy = structuredClone(crd) as { spec: { versions: Body[] } };
  for (const version of copy.spec.versions) {
    version["schema"] = { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } };
  }
  return copy;
}

describe("bad input: repository identity, validation at the door, containment inside", () => {
  let fx: ControllerFixture;
  let goodUrl: string;
  let ws: GitWorkspace;
  let dest: string;
  const sent: OutgoingRequest[] = [];
  const resources = () => new ResourceClient(clients());
  const app = (name: string, spec: unknown): Body => ({
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    metadata: { name },
    spec,
  });
  const goodSpec = () => ({
    source: { repoURL: goodUrl, targetRevision: "main", path: "cfg" },
    destination: { server: IN_CLUSTER, namespace: dest },
  });

  // This file installs a looser CRD for a moment, to store what the schema now refuses. Updating a
  // CRD re-initializes that resource's storage, and every other client then gets 429 "storage is
  // (re)initializing" for a while: so this file runs against a control plane of its own, never the
  // run's shared one (CI saw another file's request fail in that window).
  let own: LocalEnvironment | undefined;
  before(async () => {
    own = await startLocalEnvironment({ log: () => undefined });
    process.env["TETHER_TEST_KUBECONFIG"] = own.kubeconfigPath;
    process.env["TETHER_TEST_GIT_URL"] = own.git.url;
    process.env["TETHER_TEST_GIT_ROOT"] = own.gitRoot;
  });
  before(async () => {
    fx = await startControllerFixture("bad-identity", {
      notifications: {
        send: (request) => {
          sent.push(request);
          return Promise.resolve({ status: 200 });
        },
        configTtlMs: 0,
      },
    });
    dest = await fx.namespace("bad-identity-dest");
    ({ url: goodUrl, ws } = await fx.repository("good", {
      "cfg/cm.yaml": configMap("settings", { round: "0" }),
    }));
    // The repository a dot-segment URL would climb to: it must never be fetched for those apps.
    await fx.repository("probe", { "cfg/cm.yaml": configMap("probe", { a: "1" }) });
  });
  after(async () => {
    await fx?.stop();
    await own?.stop();
  });

  describe("validation at the door (CEL rules on the real apiserver)", () => {
    const bad: [string, Body, RegExp][] = [
      [
        "repoURL with a space",
        { repoURL: "https://git.example.com/re po.git" },
        /spec\.source\.repoURL.*whitespace/,
      ],
      [
        "repoURL with a control character",
        { repoURL: "https://git.example.com/a\u0001b" },
        /spec\.source\.repoURL/,
      ],
      [
        "repoURL with a zero-width space",
        { repoURL: "https://git.example.com/a\u200bb" },
        /spec\.source\.repoURL/,
      ],
      ["repoURL ../", { repoURL: "http://host/probe/../demo.git" }, /spec\.source\.repoURL.*segment/],
      [
        "repoURL .git/../",
        { repoURL: "http://host/probe.git/../demo.git" },
        /spec\.source\.repoURL.*segment/,
      ],
      ["repoURL %2e%2e", { repoURL: "http://host/probe/%2e%2e/demo.git" }, /spec\.source\.repoURL.*segment/],
      ["repoURL %2E%2e", { repoURL: "http://host/probe/%2E%2e/demo.git" }, /spec\.source\.repoURL.*segment/],
      ["repoURL .%2e", { repoURL: "http://host/probe/.%2e/demo.git" }, /spec\.source\.repoURL.*segment/],
      [
        "repoURL %252e (double encoded)",
        { repoURL: "http://host/probe/%252e%252e/demo.git" },
        /spec\.source\.repoURL/,
      ],
      [
        "repoURL backslash",
        { repoURL: "http://host/probe\\..\\demo.git" },
        /spec\.source\.repoURL.*backslash/,
      ],
      ["repoURL scp-like ../", { repoURL: "git@host:../demo.git" }, /spec\.source\.repoURL.*segment/],
      ["repoURL ext:: transport", { repoURL: "ext::sh -c id" }, /spec\.source\.repoURL/],
      ["repoURL ftp://", { repoURL: "ftp://host/repo.git" }, /spec\.source\.repoURL/],
      ["repoURL with a query", { repoURL: "https://host/repo.git?x=1" }, /spec\.source\.repoURL.*query/],
      [
        "repoURL over 2048 characters",
        { repoURL: `https://host/${"a".repeat(2100)}` },
        /spec\.source\.repoURL/,
      ],
      ["absolute path", { repoURL: "https://host/r.git", path: "/etc" }, /spec\.source\.path/],
      ["path with ..", { repoURL: "https://host/r.git", path: "apps/../../etc" }, /spec\.source\.path/],
      ["path with a newline", { repoURL: "https://host/r.git", path: "apps\nx" }, /spec\.source\.path/],
      [
        "targetRevision with a newline",
        { repoURL: "https://host/r.git", targetRevision: "main\n" },
        /spec\.source\.targetRevision/,
      ],
    ];
    for (const [what, source, message] of bad) {
      test(`Application refused: ${what}`, async () => {
        const text = await refusal(
          "applications",
          fx.appNs,
          app(`bad-${Math.random().toString(36).slice(2, 8)}`, {
            source,
            destination: { server: IN_CLUSTER, namespace: "x" },
          }),
        );
        assert.ok(text, `${what}: accepted`);
        assert.match(text, message);
      });
    }

    test("Application refused: destination namespace and project that are not names", async () => {
      const source = { repoURL: "https://host/r.git" };
      const ns = await refusal(
        "applications",
        fx.appNs,
        app("bad-ns", { source, destination: { namespace: "Bad_NS" } }),
      );
      assert.match(ns ?? "accepted", /spec\.destination\.namespace/);
      const project = await refusal(
        "applications",
        fx.appNs,
        app("bad-proj", { source, project: "../x", destination: {} }),
      );
      assert.match(project ?? "accepted", /spec\.project/);
    });

    test("the spellings Tether accepts are admitted (and the API's parser agrees)", async () => {
      const accepted = [
        "HTTPS://GitHub.com:443/Org/Repo.git/",
        "git@github.com:org/repo.git",
        "ssh://git@host:2222/x.git",
        "git://host/x",
        "file:///srv/git/x.git",
        "https://host/caf%C3%A9.git",
        "https://host/...dots/x",
      ];
      for (const [i, repoURL] of accepted.entries()) {
        const name = `ok-${i}`;
        assert.equal(
          await refusal(
            "applications",
            fx.appNs,
            app(name, {
              source: { repoURL, path: "a b/c" },
              destination: { server: IN_CLUSTER, namespace: dest },
            }),
          ),
          undefined,
          repoURL,
        );
        await fx.deleteApp(name);
      }
      const helm = app("ok-helm", {
        source: { repoURL: "oci://ghcr.io/org/charts", chart: "x", targetRevision: ">=1.0.0 <2.0.0" },
        destination: {},
      });
      assert.equal(await refusal("applications", fx.appNs, helm), undefined);
      await fx.deleteApp("ok-helm");
    });

    test("the code's repoUrlProblem and the CRD rule give every URL of the shared table the same verdict", async () => {
      const disagreements: string[] = [];
      for (const [i, [repoURL, accepted]] of REPO_URL_VERDICTS.entries()) {
        const code = repoUrlProblem(repoURL);
        const door = await dryRunRefusal(
          "applications",
          fx.appNs,
          app(`table-${i}`, { source: { repoURL }, destination: { server: IN_CLUSTER, namespace: dest } }),
        );
        const automation = await dryRunRefusal("imageupdateautomations", fx.appNs, {
          apiVersion: "tether.dev/v1alpha1",
          kind: "ImageUpdateAutomation",
          metadata: { name: `table-${i}` },
          spec: {
            sourceRef: { url: repoURL },
            git: { commit: { author: { name: "a", email: "a@b" } } },
            update: { path: "x" },
          },
        });
        for (const [who, problem] of [
          ["repoUrlProblem", code],
          ["Application CRD", door],
          ["ImageUpdateAutomation CRD", automation],
        ] as const) {
          if ((problem === undefined) !== accepted)
            disagreements.push(`${repoURL}: ${who} ${problem ?? "accepts"}`);
        }
      }
      assert.deepEqual(disagreements, []);
    });

    test("AppProject, ApplicationSet and ImageUpdateAutomation refuse dot segments and control characters", async () => {
      const project = await refusal("appprojects", fx.appNs, {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: "bad-repos" },
        spec: { sourceRepos: ["http://host/probe/../*"] },
      });
      assert.match(project ?? "accepted", /spec\.sourceRepos\[0\]/);
      const set = await refusal("applicationsets", fx.appNs, {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ApplicationSet",
        metadata: { name: "bad-git" },
        spec: {
          generators: [
            { git: { repoURL: "http://host/probe/%2e%2e/demo.git", directories: [{ path: "*" }] } },
          ],
          template: { metadata: { name: "{{path.basename}}" }, spec: goodSpec() },
        },
      });
      assert.match(set ?? "accepted", /spec\.generators\[0\]\.git\.repoURL/);
      const automation = await refusal("imageupdateautomations", fx.appNs, {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ImageUpdateAutomation",
        metadata: { name: "bad-url" },
        spec: {
          sourceRef: { url: "http://host/probe/../demo.git" },
          git: { commit: { author: { name: "a", email: "a@b" } } },
          update: { path: "../x" },
        },
      });
      assert.match(automation ?? "accepted", /spec\.sourceRef\.url/);
      assert.match(automation ?? "", /spec\.update\.path/);
    });
  });

  describe("containment: malformed objects stored under a looser CRD", () => {
    const malformed: Record<string, unknown> = {};
    const keyOf = (name: string) => `${fx.appNs}/${name}`;

    before(async () => {
      const base = goodUrl.replace(/\/good\.git$/, "");
      Object.assign(malformed, {
        "url-space": { ...goodSpec(), source: { repoURL: `${base}/go od.git`, path: "cfg" } },
        "url-control": { ...goodSpec(), source: { repoURL: `${base}/good\u0001.git`, path: "cfg" } },
        "url-dotdot": { ...goodSpec(), source: { repoURL: `${base}/probe/../good.git`, path: "cfg" } },
        "url-dotgit-dotdot": {
          ...goodSpec(),
          source: { repoURL: `${base}/probe.git/../good.git`, path: "cfg" },
        },
        "url-encoded-dots": {
          ...goodSpec(),
          source: { repoURL: `${base}/probe/%2e%2E/good.git`, path: "cfg" },
        },
        "url-backslash": { ...goodSpec(), source: { repoURL: `${base}/probe\\..\\good.git`, path: "cfg" } },
        "url-huge": { ...goodSpec(), source: { repoURL: `${base}/${"a".repeat(200_000)}.git`, path: "cfg" } },
        "url-number": { ...goodSpec(), source: { repoURL: 42, path: "cfg" } },
        "no-source": { destination: goodSpec().destination },
        "source-string": { source: "nope", destination: goodSpec().destination },
        "spec-number": 42,
        "no-destination": { source: goodSpec().source },
        "wrong-types": {
          source: { repoURL: goodUrl, path: 5, targetRevision: {}, helm: { valueFiles: "x" } },
          project: ["x"],
          dependsOn: 7,
          syncPolicy: "auto",
          destination: "x",
          ignoreDifferences: "x",
        },
      });
      const looseCrds = [
        applicationCrd(),
        applicationSetCrd(),
        appProjectCrd(),
        imageCrd("ImageUpdateAutomation"),
      ].map(loose);
      const createLoosely = async (plural: string, body: Body) =>
        waitFor(
          `${plural} ${String((body["metadata"] as Body)["name"])} stored under the loose CRD`,
          async () => {
            // Another test file may install the real CRDs meanwhile: loosen again until the create passes.
            for (const crd of looseCrds) await resources().apply(crd, { force: true });
            return (await refusal(plural, fx.appNs, body)) === undefined;
          },
          { timeoutMs: 60_000 },
        );
      for (const [name, spec] of Object.entries(malformed))
        await createLoosely("applications", app(name, spec));
      await createLoosely("applicationsets", {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ApplicationSet",
        metadata: { name: "set-wrong-shape" },
        spec: { generators: "x", template: 5 },
      });
      await createLoosely("applicationsets", {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ApplicationSet",
        metadata: { name: "set-dotdot" },
        spec: {
          generators: [{ git: { repoURL: `${base}/probe/../good.git`, directories: [{ path: "*" }] } }],
          template: { metadata: { name: "gen-{{path.basename}}" }, spec: goodSpec() },
        },
      });
      await createLoosely("imageupdateautomations", {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ImageUpdateAutomation",
        metadata: { name: "auto-dotdot" },
        spec: {
          sourceRef: { url: `${base}/probe/../good.git` },
          interval: "1s",
          git: { commit: { author: { name: "a", email: "a@b" } } },
        },
      });
      await createLoosely("imageupdateautomations", {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ImageUpdateAutomation",
        metadata: { name: "auto-no-git" },
        spec: { sourceRef: 7 },
      });
      await installCrds();
      await clients().core.createNamespacedConfigMap({
        namespace: fx.systemNamespace,
        body: {
          metadata: { name: "tether-notifications" },
          data: {
            targets: "- name: hook\n  type: webhook\n  url: http://127.0.0.1:9/hook\n",
            triggers: "- on: [sync-succeeded, sync-failed]\n  targets: [hook]\n",
          },
        },
      });
      await fx.createApp("healthy", { ...goodSpec(), syncPolicy: { automated: { prune: true } } });
    });

    const healthyRound = async (round: string) => {
      const value = await waitFor(
        `healthy app applies round ${round}`,
        async () => {
          const cm = await clients()
            .core.readNamespacedConfigMap({ name: "settings", namespace: dest })
            .catch(() => undefined);
          return cm?.data?.["round"] === round ? round : undefined;
        },
        { timeoutMs: 60_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nlog:\n${fx.lines.join("\n")}`);
      });
      assert.equal(value, round);
    };

    test("push to the local Git server (the hook of `tether local up`): the healthy app syncs, nothing crashes", async () => {
      await healthyRound("0");
      const unsubscribe = refreshOnPush(fx.git, fx.controller, (line) => fx.lines.push(line));
      try {
        await ws.commitAndPush({ "cfg/cm.yaml": configMap("settings", { round: "1" }) }, "round 1");
        await healthyRound("1");
        assert.ok(
          fx.lines.some((l) => /push to good\.git: refreshing/.test(l)),
          fx.lines.join("\n"),
        );
      } finally {
        unsubscribe();
      }
      // Called with what a hostile hook could hand it: nothing throws.
      for (const url of ["http://h/ a.git", `${goodUrl}/../probe.git`, "", 42 as unknown as string])
        assert.equal(fx.controller.refreshRepository(url), 0, String(url));
    });

    test("webhooks of every forge, with the malformed apps in the cache: answered; refused URLs match nothing", async () => {
      const rewrite = (value: unknown, url: string): unknown => {
        if (Array.isArray(value)) return value.map((v) => rewrite(v, url));
        if (value && typeof value === "object")
          return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [
              k,
              typeof v === "string" && /(url|href)$/i.test(k) ? url : rewrite(v, url),
            ]),
          );
        return value;
      };
      for (const forge of ["github-push", "gitlab-push", "gitea-push", "bitbucket-push", "gitea-delete"]) {
        for (const url of [goodUrl, `${goodUrl.replace(/good\.git$/, "probe/../good.git")}`]) {
          const payload = rewrite(
            JSON.parse(await fs.readFile(`testdata/webhooks/${forge}.json`, "utf8")),
            url,
          );
          const headers = JSON.parse(
            await fs.readFile(`testdata/webhooks/${forge}.headers.json`, "utf8"),
          ) as Record<string, string>;
          const body = new Blob([JSON.stringify(payload)]).stream();
          const answer = await handleWebhook({
            headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
            body,
            secrets: {},
            applications: () => Promise.resolve(fx.controller.applications()),
            refresh: (keys) => Promise.resolve(fx.controller.refreshApps(keys)),
          });
          const keys = answer.refreshed.map((r) => r.key);
          // Apps whose URL Tether refuses, or whose spec has no usable source, match nothing.
          const unusable = Object.keys(malformed).filter(
            (n) =>
              n.startsWith("url-") ||
              ["no-source", "source-string", "spec-number", "wrong-types"].includes(n),
          );
          for (const name of unusable) assert.ok(!keys.includes(keyOf(name)), `${forge}: ${name} matched`);
          if (url.includes("/../"))
            assert.deepEqual(keys, [], `${forge}: a dot-segment URL matched ${keys.join(", ")}`);
        }
      }
    });

    test("refresh and poll: every malformed app is reported on itself; the dot-segment URLs fetch nothing", async () => {
      fx.controller.refreshApps(Object.keys(malformed).map(keyOf));
      const events = async (name: string) =>
        (
          await clients().core.listNamespacedEvent({
            namespace: fx.appNs,
            fieldSelector: `involvedObject.name=${name}`,
          })
        ).items;
      for (const name of Object.keys(malformed)) {
        await waitFor(
          `${name} reported`,
          async () => {
            const stored = (await clients().custom.getNamespacedCustomObject({
              ...APP_GROUP,
              namespace: fx.appNs,
              name,
            })) as Application;
            const invalid = condition(stored, "InvalidSpec") ?? condition(stored, "ProjectViolation");
            if (invalid) return true;
            return (await events(name)).some((e) => e.type === "Warning");
          },
          { timeoutMs: 60_000 },
        ).catch((error: Error) => {
          throw new Error(`${error.message}\nlog:\n${fx.lines.join("\n")}`);
        });
      }
      for (const name of ["url-dotdot", "url-dotgit-dotdot", "url-encoded-dots", "url-backslash"]) {
        const stored = (await clients().custom.getNamespacedCustomObject({
          ...APP_GROUP,
          namespace: fx.appNs,
          name,
        })) as Application;
        assert.equal(stored.status?.sync?.revision, undefined, `${name} resolved a revision`);
        assert.equal((stored.status?.resources ?? []).length, 0, `${name} rendered something`);
        const why = condition(stored, "InvalidSpec")?.message ?? "";
        assert.match(why, /spec\.source\.repoURL/, name);
      }
      // A poll later (3 s in the fixture) the healthy app still follows Git without any push.
      await ws.commitAndPush({ "cfg/cm.yaml": configMap("settings", { round: "2" }) }, "round 2");
      await healthyRound("2");
    });

    test("ApplicationSets: a set of the wrong shape and one with a dot-segment Git URL get a condition, not a crash", async () => {
      const readSet = (name: string) =>
        clients().custom.getNamespacedCustomObject({
          ...GROUP,
          plural: "applicationsets",
          namespace: fx.appNs,
          name,
        }) as Promise<{ status?: { conditions?: { type: string; status: string; message?: string }[] } }>;
      // A push of the repository goes through each set's generators (the refresh predicate).
      assert.ok(fx.controller.refreshRepository(goodUrl) >= 1);
      for (const name of ["set-wrong-shape", "set-dotdot"]) {
        const set = await waitFor(
          `${name} ErrorOccurred`,
          async () => {
            const s = await readSet(name);
            return s.status?.conditions?.some((c) => c.type === "ErrorOccurred" && c.status === "True")
              ? s
              : undefined;
          },
          { timeoutMs: 60_000 },
        ).catch((error: Error) => {
          throw new Error(`${error.message}\nlog:\n${fx.lines.join("\n")}`);
        });
        if (name === "set-dotdot") {
          const message = set.status?.conditions?.find((c) => c.type === "ErrorOccurred")?.message ?? "";
          assert.match(message, /segment/);
        }
      }
      const generated = (await clients().custom.listNamespacedCustomObject({
        ...APP_GROUP,
        namespace: fx.appNs,
      })) as { items: Application[] };
      assert.deepEqual(
        generated.items.filter((a) => a.metadata.name.startsWith("gen-")).map((a) => a.metadata.name),
        [],
      );
    });

    test("image automation: a dot-segment sourceRef.url and a spec of the wrong shape end as Ready=False", async () => {
      for (const [name, field] of [
        ["auto-dotdot", /spec\.sourceRef\.url/],
        ["auto-no-git", /./],
      ] as const) {
        const auto = await waitFor(
          `${name} Ready=False`,
          async () => {
            const a = (await clients().custom.getNamespacedCustomObject({
              ...GROUP,
              plural: "imageupdateautomations",
              namespace: fx.appNs,
              name,
            })) as { status?: { conditions?: { type: string; status: string; message?: string }[] } };
            return a.status?.conditions?.find((c) => c.type === "Ready" && c.status === "False");
          },
          { timeoutMs: 60_000 },
        ).catch((error: Error) => {
          throw new Error(`${error.message}\nlog:\n${fx.lines.join("\n")}`);
        });
        assert.match(auto.message ?? "", field);
      }
    });

    test("notifications still flow for the healthy app; the process is up and the healthy app syncs once more", async () => {
      await ws.commitAndPush({ "cfg/cm.yaml": configMap("settings", { round: "3" }) }, "round 3");
      fx.controller.refreshApps([keyOf("healthy")]);
      await healthyRound("3");
      await waitFor(
        "a sync-succeeded message for the healthy app",
        () => sent.some((r) => r.body.includes("healthy")),
        { timeoutMs: 30_000 },
      );
      assert.ok(!fx.lines.some((l) => /uncaught|unhandled/i.test(l)), fx.lines.join("\n"));
    });
  });
});
