// Golden fixtures for the decisions of a reconcile (src/engine/plan/planReconcile.ts): every folder
// under testdata/plan holds an input.yaml — the app's spec (merged into a base app), the status as
// read, the requests, the revision, the compared objects, the live leftovers carrying this app's
// marks, the project, the dependsOn and policy verdicts, self-heal's paused objects and the clock —
// and expected.yaml, the plan: sync status, the operation (start/continue/refuse/skip and why),
// what it applies and prunes, conditions, Events, handled annotations, when a closed window opens.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import type { PolicyVerdict } from "../../src/engine/plan/gate.js";
import { planReconcile } from "../../src/engine/plan/planReconcile.js";
import type { PlanComparison } from "../../src/engine/plan/types.js";
import type { DependencyVerdict } from "../../src/engine/policy/dependencies.js";
import { withOwnershipMarks } from "../../src/engine/prune/ownership.js";
import { groupOf } from "../../src/model/ref.js";
import type { AppRequests } from "../../src/engine/status/requests.js";
import { parseSyncOptions } from "../../src/engine/status/syncoptions.js";
import type { Application, ApplicationSpec, ApplicationStatus } from "../../src/model/application.js";
import type { AppProjectSpec } from "../../src/model/appproject.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const { root, cases } = goldenCases("plan");

interface ObjectInput {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Compare verdict; Synced when unset. */
  status?: "Synced" | "OutOfSync";
  /** Exists in the cluster (default true). */
  live?: boolean;
  /** Another app's tracking annotation on the live object. */
  owner?: string;
  /** The dry-run failed. */
  error?: string;
  /** A hook: rendered (the gates judge it), never compared. */
  hook?: boolean;
}

interface Input {
  comment?: string;
  now: string;
  revision: string;
  spec?: Partial<ApplicationSpec>;
  previous?: ApplicationStatus;
  requests?: Partial<Pick<AppRequests, "syncRequested" | "selection" | "prune" | "handled">>;
  objects?: ObjectInput[];
  /** Live objects carrying this app's marks. */
  leftovers?: Omit<ObjectInput, "status">[];
  project?: AppProjectSpec;
  dependencies?: DependencyVerdict;
  policy?: PolicyVerdict;
  healPaused?: Record<string, string>;
}

const KEY = "apps/web";
const INSTALLATION = "inst-1";
const PERMISSIVE: AppProjectSpec = {
  sourceRepos: ["*"],
  destinations: [{ server: "*", namespace: "*" }],
  clusterResourceWhitelist: [{ group: "*", kind: "*" }],
};

function objectOf(o: Omit<ObjectInput, "status">) {
  const apiVersion = o.apiVersion ?? "v1";
  const namespace = o.namespace ?? "apps";
  return { apiVersion, kind: o.kind, metadata: { name: o.name, namespace } };
}

function comparisonOf(o: ObjectInput): PlanComparison {
  const object = withOwnershipMarks(objectOf(o), KEY, INSTALLATION);
  const { apiVersion, kind, metadata } = object;
  const desired = {
    key: `${groupOf(apiVersion)}/${kind}/${metadata.namespace}/${metadata.name}`,
    apiVersion,
    kind,
    namespace: metadata.namespace,
    name: metadata.name,
    object,
  };
  const owner = o.owner ?? KEY;
  const live =
    o.live === false
      ? undefined
      : {
          ...object,
          metadata: {
            ...object.metadata,
            resourceVersion: "1",
            annotations: {
              "tether.dev/tracking-id": `${owner}:${groupOf(apiVersion)}/${kind}:${metadata.namespace}/${metadata.name}`,
            },
          },
        };
  const status = o.status ?? (o.live === false ? "OutOfSync" : "Synced");
  return {
    desired,
    live,
    result: { status, fields: status === "OutOfSync" && live ? ["/data/v"] : [] },
    ...(o.error ? { error: o.error } : {}),
  };
}

function planOf(input: Input) {
  const spec: ApplicationSpec = {
    project: "team",
    source: { repoURL: "https://git.example.com/r.git", path: "app" },
    destination: { server: "https://kubernetes.default.svc", namespace: "apps" },
    ...input.spec,
  };
  const app: Application = {
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    metadata: { name: "web", namespace: "apps", generation: 1 },
    spec,
    status: input.previous,
  };
  const previous = input.previous ?? {};
  const objects = input.objects ?? [];
  const comparisons = objects.filter((o) => !o.hook).map(comparisonOf);
  return planReconcile({
    key: KEY,
    app,
    installationId: INSTALLATION,
    previous,
    status: { ...previous },
    requests: { syncRequested: false, handled: [], ...input.requests },
    revision: input.revision,
    syncOptions: parseSyncOptions(spec.syncPolicy).options,
    rendered: objects.map((o) => ({
      group: groupOf(o.apiVersion ?? "v1"),
      kind: o.kind,
      namespace: o.namespace ?? "apps",
      name: o.name,
    })),
    comparisons,
    pruneCandidates: (input.leftovers ?? []).map((o) => withOwnershipMarks(objectOf(o), KEY, INSTALLATION)),
    project: {
      name: "team",
      project: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: "team" },
        spec: input.project ?? PERMISSIVE,
      },
      placement: { server: "https://kubernetes.default.svc", name: "in-cluster", namespace: "apps" },
    },
    dependencies: input.dependencies ?? { kind: "ready" },
    policy: input.policy,
    healPaused: input.healPaused ?? {},
    now: new Date(input.now),
  });
}

/** The plan as a reviewer reads it: keys and codes, no object bodies. */
function summary(plan: ReturnType<typeof planOf>) {
  const op = plan.operation;
  const describeOp = (o: NonNullable<ApplicationStatus["operationState"]>) => ({
    phase: o.phase,
    revision: o.revision,
    initiatedBy: o.initiatedBy,
    retryCount: o.retryCount,
    ...(o.step ? { step: o.step } : {}),
    ...(o.request ? { request: o.request } : {}),
    ...(o.message ? { message: o.message } : {}),
  });
  return {
    syncStatus: plan.syncStatus,
    operation:
      op.kind === "skip"
        ? { kind: op.kind, why: op.why }
        : {
            kind: op.kind,
            ...describeOp(op.op),
            ...(op.kind === "start" && op.supersedes ? { supersedes: op.supersedes.revision } : {}),
          },
    selfHeal: plan.verdict.selfHeal,
    apply: plan.apply.map((c) => c.desired.key),
    prune: plan.prune.map(
      (d) =>
        `${d.object.kind} ${d.object.metadata?.namespace ?? ""}/${d.object.metadata?.name ?? ""}: ${d.action} (${d.reason})`,
    ),
    pruneAllowed: plan.pruneAllowed,
    emptyRenderBlocked: plan.emptyRenderBlocked,
    sharedWith: plan.sharedWith,
    healPaused: plan.healPaused,
    conditions: (plan.status.conditions ?? []).map((c) => ({
      type: c.type,
      reason: c.reason,
      message: c.message,
    })),
    operationState: plan.status.operationState ? describeOp(plan.status.operationState) : null,
    policyViolations: plan.status.policyViolations?.length ?? 0,
    events: plan.events,
    handled: plan.handled,
    windowOpensAt: plan.windowOpensAt?.toISOString() ?? null,
  };
}

test("there are golden plan cases", () => assert.ok(cases.length >= 30, `only ${cases.length} cases`));

for (const name of cases) {
  test(`plan golden: ${name}`, () => {
    const dir = path.join(root, name);
    const input = YAML.parse(fs.readFileSync(path.join(dir, "input.yaml"), "utf8")) as Input;
    const actual = JSON.parse(JSON.stringify(summary(planOf(input)))) as unknown;
    assertGolden(dir, actual);
  });
}
