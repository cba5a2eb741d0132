// Pure pieces of `tether app`: the table/wide/json/yaml formatters, the diff text, and the wait
// decision (done, pending request, failed sync, Degraded).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { ApplicationDetail, ApplicationSummary, HistoryEntryView } from "../../src/api/types.js";
import {
  formatDetail,
  formatDiff,
  formatHistory,
  formatList,
  formatTree,
  table,
} from "../../src/cli/app/format.js";
import { progressPrinter, waitDecision } from "../../src/cli/app/wait.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const summary = (name: string, extra: Partial<ApplicationSummary> = {}): ApplicationSummary => ({
  name,
  namespace: "apps",
  project: "default",
  repoURL: "http://git.example/r.git",
  path: name,
  targetRevision: "main",
  sync: "Synced",
  health: "Healthy",
  revision: SHA,
  ...extra,
});
const detail = (extra: Partial<ApplicationDetail> = {}): ApplicationDetail => ({
  ...summary("web"),
  spec: {
    source: { repoURL: "http://git.example/r.git", path: "web", targetRevision: "main" },
    destination: { server: "https://kubernetes.default.svc", namespace: "web" },
    syncPolicy: { automated: { prune: true } },
  },
  conditions: [],
  resources: [
    {
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "web",
      name: "nginx",
      status: "Synced",
      health: { status: "Healthy" },
    },
    {
      group: "",
      version: "v1",
      kind: "Service",
      namespace: "web",
      name: "nginx-long-name",
      status: "OutOfSync",
      message: "changed",
    },
  ],
  history: [],
  ...extra,
});
const history: HistoryEntryView[] = [
  {
    id: 1,
    revision: SHA,
    deployedAt: "2026-01-01T00:00:00Z",
    result: "Succeeded",
    initiatedBy: "auto",
    message: "first\nbody",
    author: "A <a@x>",
  },
  {
    id: 12,
    revision: "f".repeat(40),
    deployedAt: "2026-01-02T00:00:00Z",
    result: "Failed",
    initiatedBy: "manual",
  },
];

describe("cli formatters", () => {
  test("table: columns aligned to the widest cell, three spaces apart, no trailing spaces", () => {
    assert.equal(
      table(
        ["A", "LONGER"],
        [
          ["xxxx", "1"],
          ["y", ""],
        ],
      ),
      "A      LONGER\nxxxx   1\ny\n",
    );
  });

  test("list: table shows short revisions; wide adds repo, path, target and the full revision", () => {
    const items = [
      summary("web"),
      summary("a-much-longer-name", { sync: "OutOfSync", health: "Progressing" }),
    ];
    const text = formatList(items, "table");
    assert.equal(
      text,
      [
        "NAMESPACE   NAME                 PROJECT   SYNC        HEALTH        REVISION",
        "apps        web                  default   Synced      Healthy       0123456",
        "apps        a-much-longer-name   default   OutOfSync   Progressing   0123456",
        "",
      ].join("\n"),
    );
    const wide = formatList(items, "wide").split("\n");
    assert.match(
      wide[0] ?? "",
      /^NAMESPACE\s+NAME\s+PROJECT\s+SYNC\s+HEALTH\s+REVISION\s+REPO\s+PATH\s+TARGET\s+RECONCILED$/,
    );
    assert.ok(wide[1]?.includes(SHA));
    assert.ok(wide[1]?.includes("http://git.example/r.git"));
    assert.equal(formatList([], "table"), "NAMESPACE   NAME   PROJECT   SYNC   HEALTH   REVISION\n");
  });

  test("json and yaml print the API's objects unchanged", () => {
    const items = [summary("web")];
    assert.deepEqual(JSON.parse(formatList(items, "json")), { items });
    assert.deepEqual(parseYaml(formatList(items, "yaml")), { items });
    assert.deepEqual(JSON.parse(formatHistory(history, "json")), { items: history });
    const app = detail();
    assert.deepEqual(JSON.parse(formatDetail(app, "json")), app);
    assert.deepEqual(parseYaml(formatDetail(app, "yaml")), app);
  });

  test("history: first line of the message; wide adds author, date and the full revision", () => {
    const text = formatHistory(history, "table").split("\n");
    assert.equal(text[0], "ID   DEPLOYED               REVISION   RESULT      MESSAGE");
    assert.equal(text[1], "1    2026-01-01T00:00:00Z   0123456    Succeeded   first");
    assert.equal(text[2], "12   2026-01-02T00:00:00Z   fffffff    Failed");
    const wide = formatHistory(history, "wide");
    assert.match(wide, /INITIATED\s+AUTHOR/);
    assert.ok(wide.includes(SHA));
    assert.ok(wide.includes("A <a@x>"));
  });

  test("get: fields, true conditions, the operation and a resource table", () => {
    const text = formatDetail(
      detail({
        sync: "OutOfSync",
        health: "Degraded",
        healthMessage: "rollout stuck",
        replica: "tether-controller-7d9f-x2",
        operationState: { phase: "Failed", message: "apply failed" },
        conditions: [
          {
            type: "SyncError",
            status: "True",
            reason: "ApplyFailed",
            message: "Deployment nginx: denied",
            lastTransitionTime: "t",
          },
          { type: "Gone", status: "False", reason: "x", message: "not shown", lastTransitionTime: "t" },
        ],
      }),
      "table",
    );
    assert.match(text, /^Name:\s+apps\/web$/m);
    assert.match(text, /^Source:\s+http:\/\/git\.example\/r\.git @ main, path web$/m);
    assert.match(text, /^Destination:\s+https:\/\/kubernetes\.default\.svc, namespace web$/m);
    assert.match(text, /^Sync policy:\s+automated \(prune\)$/m);
    assert.match(text, /^Sync:\s+OutOfSync at 0123456$/m);
    assert.match(text, /^Health:\s+Degraded: rollout stuck$/m);
    assert.match(text, /^Operation:\s+Failed: apply failed$/m);
    assert.match(text, /^Controller:\s+replica tether-controller-7d9f-x2$/m);
    assert.doesNotMatch(formatDetail(detail(), "table"), /^Controller:/m);
    assert.match(text, /^Condition:\s+SyncError \(ApplyFailed\): Deployment nginx: denied$/m);
    assert.doesNotMatch(text, /not shown/);
    assert.match(text, /^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+SYNC\s+HEALTH$/m);
    assert.match(text, /^apps\s+Deployment\s+web\s+nginx\s+Synced\s+Healthy$/m);
    assert.match(
      formatDetail(detail(), "wide"),
      /^\s+Service\s+web\s+nginx-long-name\s+OutOfSync\s+changed$/m,
    );
  });

  test("diff: per resource, the differing fields and the live YAML; none says so", () => {
    const text = formatDiff({
      revision: SHA,
      note: "n",
      resources: [
        {
          group: "apps",
          kind: "Deployment",
          namespace: "web",
          name: "nginx",
          status: "OutOfSync",
          fields: ["/spec/replicas"],
          liveYaml: "spec:\n  replicas: 3\n",
        },
      ],
    });
    assert.equal(
      text,
      "=== Deployment.apps web/nginx: OutOfSync\n  differs: /spec/replicas\n  live:\n    spec:\n      replicas: 3\n",
    );
    assert.equal(formatDiff({ revision: SHA, note: "n", resources: [] }), "no differences (at 0123456)\n");
  });

  test("tree: managed objects with live children indented", () => {
    const text = formatTree([
      {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: "web",
        name: "nginx",
        sync: "Synced",
        health: { status: "Healthy" },
        children: [
          {
            group: "apps",
            version: "v1",
            kind: "ReplicaSet",
            namespace: "web",
            name: "nginx-1",
            health: { status: "Healthy" },
            children: [],
          },
        ],
      },
    ]);
    assert.equal(
      text,
      "Deployment.apps web/nginx Synced Healthy\n  └─ ReplicaSet.apps web/nginx-1 Healthy\n",
    );
  });
});

describe("cli wait decision", () => {
  const both = { sync: true, health: true };
  test("done when Synced and Healthy; only what is asked for counts", () => {
    assert.deepEqual(waitDecision(detail(), both), { kind: "done" });
    assert.deepEqual(waitDecision(detail({ health: "Progressing" }), { sync: true, health: false }), {
      kind: "done",
    });
    assert.deepEqual(waitDecision(detail({ sync: "OutOfSync" }), both), {
      kind: "pending",
      reason: "sync OutOfSync",
    });
  });
  test("a request annotation not yet handled is pending even if the app looks done", () => {
    const app = detail({ annotations: { "tether.dev/sync": "true" } });
    assert.equal(waitDecision(app, both).kind, "pending");
    assert.match((waitDecision(app, both) as { reason: string }).reason, /tether\.dev\/sync/);
    assert.equal(waitDecision(detail({ operationState: { phase: "Running" } }), both).kind, "pending");
  });
  test("a failed sync and a Degraded app fail the wait", () => {
    assert.deepEqual(
      waitDecision(detail({ sync: "OutOfSync", operationState: { phase: "Failed", message: "boom" } }), both),
      { kind: "failed", reason: "sync failed: boom" },
    );
    assert.deepEqual(waitDecision(detail({ health: "Degraded", healthMessage: "crash" }), both), {
      kind: "failed",
      reason: "health is Degraded: crash",
    });
    // Degraded does not fail a wait for sync alone.
    assert.deepEqual(waitDecision(detail({ health: "Degraded" }), { sync: true, health: false }), {
      kind: "done",
    });
  });
  test("progress: one line rewritten on a terminal; a plain line per change elsewhere", () => {
    const capture = (isTTY: boolean) => {
      const writes: string[] = [];
      const stream = { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
      const printer = progressPrinter(stream);
      const pending = { kind: "pending", reason: "sync OutOfSync" } as const;
      printer.update(detail({ sync: "OutOfSync" }), pending, 1_000);
      printer.update(detail({ sync: "OutOfSync" }), pending, 2_000);
      printer.update(detail(), { kind: "done" }, 3_000);
      printer.end();
      return writes;
    };
    const tty = capture(true);
    assert.equal(tty.length, 4);
    assert.ok(tty.slice(0, 3).every((w) => w.startsWith("\r\x1b[K") && !w.includes("\n")));
    assert.match(
      tty[1] ?? "",
      /apps\/web: sync OutOfSync at 0123456, health Healthy \(2s\) — waiting: sync OutOfSync/,
    );
    assert.equal(tty[3], "\n");
    assert.deepEqual(capture(false), [
      "apps/web: sync OutOfSync, health Healthy — waiting: sync OutOfSync\n",
      "apps/web: sync Synced, health Healthy\n",
    ]);
  });
});
