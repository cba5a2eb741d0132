// Issue 17, item 7: Git's text is any size, and a status that etcd refuses freezes the app. A 1 MB
// commit message and a 100 KB author must end as a Synced app at the new revision with a history
// entry holding the cut message; and a status write the apiserver refuses (here a real
// ValidatingAdmissionPolicy, no mock) must show as a StatusWriteFailed condition and Event.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { errorStatus } from "../../src/kube/client.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients, uniqueName } from "../helpers/environment.js";

const run = promisify(execFile);
const APPS = { group: "tether.dev", version: "v1alpha1", plural: "applications" } as const;
const REFUSE_LABEL = "tether.dev/test-refuse-status";
const bytes = (s: string | undefined) => Buffer.byteLength(s ?? "");

describe("controller: status stays writable", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("ctl-status-size");
  });
  after(() => fx?.stop());

  const events = async (app: string) =>
    (
      await clients().core.listNamespacedEvent({
        namespace: fx.appNs,
        fieldSelector: `involvedObject.name=${app}`,
      })
    ).items;

  test("a 1 MB commit message and a 100 KB author: Synced at the new revision, history holds the cut message", async () => {
    const ns = await fx.namespace("status-size");
    const { url, ws } = await fx.repository("huge-commit", {
      "app/cm.yaml": configMap("settings", { a: "1" }),
    });
    await fx.createApp("huge", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true } },
    });
    await fx.waitApp("huge", "Synced", (a) => a.status?.sync?.status === "Synced");

    // `git commit -m` cannot carry 1 MB (one argument is at most 128 KiB): the message goes in a file.
    await ws.write({ "app/cm.yaml": configMap("settings", { a: "2" }) });
    const messageFile = path.join(ws.dir, "..", `${path.basename(ws.dir)}-message.txt`);
    await fs.writeFile(messageFile, `Huge change\n\n${"lorem ipsum ".repeat(90_000)}`);
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: "A".repeat(100_000),
      GIT_AUTHOR_EMAIL: "huge@example.com",
    };
    await run("git", ["add", "--all"], { cwd: ws.dir });
    await run("git", ["commit", "--quiet", "-F", messageFile], { cwd: ws.dir, env });
    await fs.rm(messageFile);
    await ws.push();
    const sha = await ws.head();

    const app = await fx.waitApp(
      "huge",
      `Synced at ${sha}`,
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status.sync.revision === sha &&
        a.status.history?.at(-1)?.revision === sha,
      90_000,
    );
    const cm = await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns });
    assert.equal(cm.data?.["a"], "2", "the change was applied");
    const entry = app.status?.history?.at(-1);
    assert.equal(entry?.result, "Succeeded");
    for (const info of [entry, app.status?.revisionInfo]) {
      assert.ok(
        info?.message?.startsWith("Huge change\n\nlorem ipsum"),
        "subject and the start of the body kept",
      );
      assert.match(info?.message ?? "", /… \[truncated: 108001\d bytes\]$/);
      assert.ok(bytes(info?.message) <= 3 * 1024, `message ${bytes(info?.message)} bytes`);
      assert.match(info?.author ?? "", /^A+ … \[truncated: 1000\d\d bytes\]$/);
      assert.ok(bytes(info?.author) <= 256);
    }
    assert.equal(condition(app, "StatusWriteFailed"), undefined);
    assert.ok(Buffer.byteLength(JSON.stringify(app.status)) < 512 * 1024);
  });

  test("a status write the apiserver refuses becomes a StatusWriteFailed condition and Event; cleared once it is accepted", async (t) => {
    // A real refusal: an admission policy on applications/status that rejects a status naming a
    // commit message starting "refuse-status" (the controller's small condition write does not).
    const policy = uniqueName("tether-refuse-status");
    await clients().objects.create({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: policy },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ["tether.dev"],
              apiVersions: ["*"],
              operations: ["UPDATE"],
              resources: ["applications/status"],
            },
          ],
        },
        validations: [
          {
            expression:
              "!has(object.status) || !has(object.status.revisionInfo) || !has(object.status.revisionInfo.message) || !object.status.revisionInfo.message.startsWith('refuse-status')",
            message: "status refused by the test's admission policy",
            reason: "Invalid",
          },
        ],
      },
    } as never);
    const binding = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: policy },
    };
    await clients().objects.create({
      ...binding,
      spec: {
        policyName: policy,
        validationActions: ["Deny"],
        matchResources: { objectSelector: { matchLabels: { [REFUSE_LABEL]: "true" } } },
      },
    } as never);
    t.after(async () => {
      await clients()
        .objects.delete(binding as never)
        .catch(() => undefined);
      await clients()
        .objects.delete({
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicy",
          metadata: { name: policy },
        })
        .catch(() => undefined);
    });

    const ns = await fx.namespace("status-refused");
    const { url, ws } = await fx.repository("refused", { "app/cm.yaml": configMap("settings", { a: "1" }) });
    await fx.createApp("refused", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true } },
    });
    await fx.patchApp("refused", { metadata: { labels: { [REFUSE_LABEL]: "true" } } });
    const before = await fx.waitApp("refused", "Synced", (a) => a.status?.sync?.status === "Synced");

    // The policy is enforced once the apiserver has loaded it: probe with a dry-run write.
    await waitFor(
      "admission policy enforced",
      async () => {
        const app = await fx.readApp("refused");
        const body = {
          ...app,
          status: { ...app.status, revisionInfo: { revision: "x", message: "refuse-status probe" } },
        };
        try {
          await clients().custom.replaceNamespacedCustomObjectStatus({
            ...APPS,
            namespace: fx.appNs,
            name: "refused",
            body,
            dryRun: "All",
          });
          return false;
        } catch (error) {
          if (errorStatus(error) === 409) return false;
          return errorStatus(error) === 422;
        }
      },
      { timeoutMs: 30_000 },
    );

    const sha = await ws.commitAndPush(
      { "app/cm.yaml": configMap("settings", { a: "2" }) },
      "refuse-status: the status of this commit is refused",
    );
    const failed = await fx.waitApp(
      "refused",
      "StatusWriteFailed",
      (a) => condition(a, "StatusWriteFailed") !== undefined,
      90_000,
    );
    const written = condition(failed, "StatusWriteFailed");
    assert.equal(written?.reason, "WriteRejected");
    assert.match(
      written?.message ?? "",
      /^status could not be written \(HTTP 422\): .*status refused by the test's admission policy/,
    );
    assert.ok(bytes(written?.message) <= 1024);
    assert.equal(
      failed.status?.sync?.revision,
      before.status?.sync?.revision,
      "the refused status is not shown",
    );
    // The change itself was applied: the status is what lags, and the condition says so.
    assert.equal(
      (await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns })).data?.["a"],
      "2",
    );
    await waitFor(
      "StatusWriteFailed Event",
      async () =>
        (await events("refused")).some(
          (e) => e.reason === "StatusWriteFailed" && e.type === "Warning" && e.message?.includes("HTTP 422"),
        ),
      { timeoutMs: 30_000 },
    );

    // Backoff, not a hot loop: a handful of attempts while the policy stands, not hundreds.
    const attempts = () =>
      fx.lines.filter((l) => l.includes("refused") && l.includes("status could not be written")).length;
    const first = attempts();
    await waitFor("a retry", () => attempts() > first, { timeoutMs: 30_000 });
    assert.ok(attempts() < 20, `${attempts()} attempts`);

    await clients().objects.delete(binding);
    const synced = await fx.waitApp(
      "refused",
      `Synced at ${sha}`,
      (a: Application) => a.status?.sync?.revision === sha && a.status.sync.status === "Synced",
      120_000,
    );
    assert.equal(
      condition(synced, "StatusWriteFailed"),
      undefined,
      "cleared by the next write that succeeds",
    );
    assert.equal(synced.status?.history?.at(-1)?.revision, sha);
  });
});
