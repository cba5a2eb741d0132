// An Application against its AppProject, as Argo CD checks it: is the project there, may the app
// live in its namespace, use its repository, deploy to its destination, and manage each kind it
// renders? Pure: the project, the app's placement and the rendered objects are plain values. Every
// violation names the project, the project field that refuses, and the app field or object at fault.
import type { AppProject, GroupKind, ProjectDestination } from "../../model/appproject.js";
import { redactUrl } from "../source/gitcli.js";
import {
  canonicalRepoPattern,
  repoUrlProblem,
  tryCanonicalRepoPattern,
  tryCanonicalRepoUrl,
} from "../source/url.js";
import { allowedByPatterns, globMatch, isDenyPattern, patternMatches } from "./glob.js";
import { validateSyncWindows } from "./syncwindows.js";
import { describeRef } from "../../model/ref.js";

export type ProjectViolationReason =
  | "ProjectNotFound"
  | "InvalidProject"
  | "SourceNamespaceNotPermitted"
  | "SourceNotPermitted"
  | "DestinationNotPermitted"
  | "ResourceNotPermitted";

export interface ProjectViolation {
  readonly reason: ProjectViolationReason;
  readonly message: string;
}

export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";
export const IN_CLUSTER_NAME = "in-cluster";

/** Where an app deploys, with the in-cluster server and name both filled in. */
export interface Placement {
  readonly server: string;
  readonly name: string;
  readonly namespace: string;
}

/** The app's destination as both a server URL and a cluster name (the in-cluster one has both). */
export function placementOf(
  destination: { server?: string; name?: string; namespace?: string },
  defaultNamespace: string,
  localServers: readonly string[] = [],
): Placement {
  const trim = (s: string) => s.replace(/\/$/, "");
  const server = trim(destination.server ?? "");
  const local =
    ["", IN_CLUSTER_SERVER, `${IN_CLUSTER_SERVER}:443`].includes(server) ||
    localServers.some((s) => trim(s) === server);
  const inCluster = local && (!destination.name || destination.name === IN_CLUSTER_NAME);
  return {
    server: inCluster ? IN_CLUSTER_SERVER : server,
    name: inCluster ? IN_CLUSTER_NAME : (destination.name ?? ""),
    namespace: destination.namespace || defaultNamespace,
  };
}

/**
 * Whether the project's `sourceRepos` let the app use `repoURL`. Both sides are in the one canonical
 * form of engine/source/url.ts, so `…/probe/../demo.git`, `…/probe/%2e%2e/demo` (refused outright),
 * `HTTPS://Host:443//org/x.git/` and `git@host:org/x` are each judged as the repository git would
 * fetch. A deny (`!`) pattern also ignores case: most forges treat `Org/Secret` and `org/secret` as
 * one repository, and a deny must not be dodged by spelling.
 */
export function repoPermitted(
  patterns: readonly string[] | undefined,
  repoURL: string,
): { permitted: true } | { permitted: false; why?: string } {
  const problem = repoUrlProblem(repoURL);
  if (problem !== undefined) return { permitted: false, why: problem };
  const url = tryCanonicalRepoUrl(repoURL) ?? "";
  const list = patterns ?? [];
  for (const p of list.filter(isDenyPattern)) {
    if (globMatch(canonicalRepoPattern(p.slice(1)).toLowerCase(), url.toLowerCase()))
      return { permitted: false };
  }
  // A file:// URL reads the controller's own disk (the local Git server's repositories behind its
  // authentication, any other repository there): only a pattern that names file:// itself admits
  // one, never a glob such as the default project's "*".
  const local = url.startsWith("file://");
  const allowed = list.some(
    (p) =>
      !isDenyPattern(p) &&
      (!local || p.toLowerCase().startsWith("file://")) &&
      globMatch(canonicalRepoPattern(p), url),
  );
  return allowed ? { permitted: true } : { permitted: false };
}

/** `sourceRepos` deny patterns Tether cannot read as a URL would deny nothing: the project is refused. */
function sourceRepoProblems(patterns: readonly string[] | undefined): string[] {
  return (patterns ?? [])
    .filter(
      (p) =>
        isDenyPattern(p) &&
        p !== "!*" &&
        !/^[a-z][a-z0-9+.-]*:\/\//.test(tryCanonicalRepoPattern(p.slice(1)) ?? ""),
    )
    .map(
      (p) =>
        `spec.sourceRepos "${p}": a deny pattern must be a repository URL or glob (scheme://host/path or git@host:path)`,
    );
}

function destinationMatches(rule: ProjectDestination, where: Placement): boolean {
  const cluster =
    (rule.server === undefined && rule.name === undefined) ||
    (rule.server !== undefined && patternMatches(rule.server, where.server)) ||
    (rule.name !== undefined && patternMatches(rule.name, where.name));
  return cluster && patternMatches(rule.namespace, where.namespace);
}

/**
 * A destination rule with a `!` in any field is a deny rule: it refuses what it would match
 * without the `!`. Allowed when some plain rule matches and no deny rule does. A field left out of
 * a rule matches anything.
 */
export function destinationPermitted(
  rules: readonly ProjectDestination[] | undefined,
  where: Placement,
): boolean {
  const list = rules ?? [];
  const deny = (r: ProjectDestination) =>
    isDenyPattern(r.server) || isDenyPattern(r.name) || isDenyPattern(r.namespace);
  if (list.some((r) => deny(r) && destinationMatches(r, where))) return false;
  return list.some((r) => !deny(r) && destinationMatches(r, where));
}

const kindMatches = (list: readonly GroupKind[] | undefined, group: string, kind: string) =>
  (list ?? []).some((gk) => globMatch(gk.group, group) && globMatch(gk.kind, kind));

/** Whether the project lets its apps manage this kind (cluster-scoped or namespaced). */
export function kindPermitted(
  project: AppProject,
  object: { group: string; kind: string; namespaced: boolean },
): { permitted: true } | { permitted: false; field: string } {
  const spec = project.spec ?? {};
  const { group, kind } = object;
  if (!object.namespaced) {
    if (!kindMatches(spec.clusterResourceWhitelist, group, kind))
      return { permitted: false, field: "spec.clusterResourceWhitelist" };
    if (kindMatches(spec.clusterResourceBlacklist, group, kind))
      return { permitted: false, field: "spec.clusterResourceBlacklist" };
    return { permitted: true };
  }
  const whitelist = spec.namespaceResourceWhitelist ?? [];
  if (whitelist.length > 0 && !kindMatches(whitelist, group, kind))
    return { permitted: false, field: "spec.namespaceResourceWhitelist" };
  if (kindMatches(spec.namespaceResourceBlacklist, group, kind))
    return { permitted: false, field: "spec.namespaceResourceBlacklist" };
  return { permitted: true };
}

/** What in the project itself cannot be used (each message names the field). */
export function validateProject(project: AppProject): string[] {
  return [
    ...sourceRepoProblems(project.spec?.sourceRepos),
    ...validateSyncWindows(project.spec?.syncWindows),
  ];
}

/**
 * What can be checked before anything is fetched: the project exists and is valid, and it allows
 * the app's namespace, repository and destination. Checked first, so an app cannot make Tether
 * fetch a repository (with the credentials Tether holds for it) that its project does not allow.
 */
export function checkAdmission(input: {
  readonly projectName: string;
  readonly project: AppProject | undefined;
  readonly app: { readonly name: string; readonly namespace: string; readonly repoURL: string };
  readonly placement: Placement;
  /** Tether's system namespace: apps there may use any project (as Argo CD's control-plane namespace). */
  readonly systemNamespace: string;
}): ProjectViolation[] {
  const { projectName, project, app, placement } = input;
  const where = `project "${projectName}"`;
  if (!project) {
    return [
      {
        reason: "ProjectNotFound",
        message: `${where} (spec.project) does not exist in namespace ${input.systemNamespace}`,
      },
    ];
  }
  const invalid = validateProject(project);
  if (invalid.length > 0) return [{ reason: "InvalidProject", message: `${where}: ${invalid.join("; ")}` }];
  const spec = project.spec ?? {};
  const violations: ProjectViolation[] = [];
  if (app.namespace !== input.systemNamespace && !allowedByPatterns(spec.sourceNamespaces, app.namespace)) {
    violations.push({
      reason: "SourceNamespaceNotPermitted",
      message: `${where}: Applications in namespace ${app.namespace} are not permitted by spec.sourceNamespaces [${(spec.sourceNamespaces ?? []).join(", ")}]`,
    });
  }
  const repo = repoPermitted(spec.sourceRepos, app.repoURL);
  if (!repo.permitted) {
    // A refused URL may hold anything (controls, a password): shown cut, quoted and redacted.
    const message = repo.why
      ? `${where}: spec.source.repoURL ${JSON.stringify(redactUrl(String(app.repoURL).slice(0, 200)))} is not a valid repository URL: ${repo.why}`
      : `${where}: spec.source.repoURL ${app.repoURL} is not permitted by spec.sourceRepos [${(spec.sourceRepos ?? []).join(", ")}]`;
    violations.push({ reason: "SourceNotPermitted", message });
  }
  if (!destinationPermitted(spec.destinations, placement)) {
    violations.push({
      reason: "DestinationNotPermitted",
      message: `${where}: destination ${describePlacement(placement)} (spec.destination) is not permitted by spec.destinations`,
    });
  }
  return violations;
}

function describePlacement(p: Placement): string {
  return `server ${p.server}${p.name ? ` (${p.name})` : ""}, namespace ${p.namespace}`;
}

export interface RenderedRef {
  readonly group: string;
  readonly kind: string;
  /** Set for namespaced objects only. */
  readonly namespace?: string;
  readonly name: string;
}

/**
 * Why the project refuses to let its apps manage this object, or undefined when it may: the kind
 * (cluster-scoped kinds must be whitelisted; namespaced ones must not be blacklisted) and, for a
 * namespaced object, its namespace as a destination on the app's cluster. The one judgement of an
 * object shared by the render check below, prune and cascade delete (src/engine/prune).
 */
export function objectNotPermitted(
  project: AppProject,
  placement: Placement,
  o: RenderedRef,
): { reason: ProjectViolationReason; detail: string } | undefined {
  const namespaced = o.namespace !== undefined;
  const kind = kindPermitted(project, { group: o.group, kind: o.kind, namespaced });
  if (!kind.permitted) {
    const why = kind.field.endsWith("Whitelist") ? "is not in" : "is denied by";
    return {
      reason: "ResourceNotPermitted",
      detail: `${namespaced ? "namespaced" : "cluster-scoped"} kind ${o.group || "core"}/${o.kind} ${why} ${kind.field}`,
    };
  }
  if (
    namespaced &&
    !destinationPermitted(project.spec?.destinations, { ...placement, namespace: o.namespace ?? "" })
  ) {
    return {
      reason: "DestinationNotPermitted",
      detail: `namespace ${o.namespace} is not permitted by spec.destinations`,
    };
  }
  return undefined;
}

/** What needs the render: every rendered object judged by objectNotPermitted. */
export function checkResources(input: {
  readonly projectName: string;
  readonly project: AppProject;
  readonly placement: Placement;
  readonly objects: readonly RenderedRef[];
}): ProjectViolation[] {
  const { projectName, project, placement } = input;
  return input.objects.flatMap((o) => {
    const refused = objectNotPermitted(project, placement, o);
    return refused
      ? [
          {
            reason: refused.reason,
            message: `project "${projectName}": ${describeRef(o)}: ${refused.detail}`,
          },
        ]
      : [];
  });
}
