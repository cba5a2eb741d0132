// Flux → Tether: a Kustomization or HelmRelease and the source it names (GitRepository,
// HelmRepository, OCIRepository) become one Tether Application. Flux reconciles continuously, so
// the Application syncs automatically; Flux's per-object intervals and timeouts are controller-wide
// settings in Tether and come back as notes. Pure: objects in, objects and messages out.
import { stringify } from "yaml";
import { CASCADE_FINALIZER } from "../model/contract.js";
import { API_VERSION } from "../model/application.js";
import type { ImportOptions } from "./argocd.js";
import type { ImportMessage, ImportResult, Json } from "./report.js";
import {
  Reporter,
  describe,
  isObject,
  portableMetadata,
  reportUnmapped,
  str,
  targetNamespace,
} from "./report.js";

const FLUX_NAMESPACE = "flux-system";
const IN_CLUSTER = "https://kubernetes.default.svc";
const INTERVAL =
  "not needed (Tether looks at every repository at the controller's --poll-interval, default 60s, and at once on a Git webhook)";
const TIMEOUT = "not needed (Tether's render and sync limits are controller-wide)";
const IMPERSONATION =
  "not supported (Tether applies with its own ServiceAccount; narrow the tether-controller-apply ClusterRole, or use an AppProject's resource lists)";
const REMOTE = "not supported (Tether deploys to the cluster it runs in)";
const CREDENTIALS =
  "not converted (create a Tether repository Secret for this URL, labelled tether.dev/secret-type: repository, in the system namespace; see docs/security.md)";

const SOURCE_KINDS: readonly string[] = [
  "GitRepository",
  "HelmRepository",
  "OCIRepository",
  "Bucket",
  "HelmChart",
];

interface SourceEntry {
  readonly object: Json;
  readonly report: Reporter;
  /** Set once its own fields have been reported (one set of messages however many apps use it). */
  reported: boolean;
}

const group = (apiVersion: unknown) => str(apiVersion ?? "").split("/")[0] ?? "";
const nsOf = (o: Json) => str(((o["metadata"] ?? {}) as Json)["namespace"] ?? "");
const nameOf = (o: Json) => str(((o["metadata"] ?? {}) as Json)["name"] ?? "");

/** `./apps/prod/` → `apps/prod`; the repository root → `.`. */
function cleanPath(path: unknown): string {
  const cleaned = str(path ?? "")
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
  return cleaned === "" || cleaned === "." ? "." : cleaned;
}

/** A GitRepository's ref as a targetRevision, in Flux's precedence: commit, name, semver, tag, branch. */
function gitRevision(ref: Json | undefined, report: Reporter): string {
  if (!ref) return "master"; // Flux's default when no ref is given
  reportUnmapped(ref, "spec.ref", ["commit", "name", "semver", "tag", "branch"], {}, report);
  if (typeof ref["commit"] === "string") {
    if (ref["branch"] !== undefined)
      report.note("spec.ref.branch", `not needed (the commit ${str(ref["commit"])} is pinned)`);
    return ref["commit"];
  }
  if (typeof ref["name"] === "string") {
    const name = ref["name"];
    const short = /^refs\/(heads|tags)\/(.+)$/.exec(name)?.[2];
    if (short) return short;
    report.drop(
      "spec.ref.name",
      `"${name}": not supported (Tether follows branches, tags, commits and semver ranges, not other refs); following HEAD`,
    );
    return "HEAD";
  }
  for (const key of ["semver", "tag", "branch"]) if (typeof ref[key] === "string") return ref[key];
  return "master";
}

function reportGitRepository(entry: SourceEntry): void {
  const spec = (entry.object["spec"] ?? {}) as Json;
  reportUnmapped(
    spec,
    "spec",
    ["url", "ref", "interval", "timeout", "suspend"],
    {
      secretRef: CREDENTIALS,
      ignore:
        "not supported (Tether renders the whole path; use spec.source.directory.exclude on a plain directory)",
      include: "not supported (Tether Applications have one source)",
      recurseSubmodules: "not supported (Tether does not check out submodules)",
      verify: "not supported (Tether does not verify commit signatures)",
      proxySecretRef: "not supported (set HTTPS_PROXY in the controller's environment)",
      provider: "not supported (use a repository Secret with a token)",
      sparseCheckout: "not needed (Tether reads only the app's path)",
    },
    entry.report,
  );
  if (spec["interval"] !== undefined) entry.report.note("spec.interval", INTERVAL);
  if (spec["timeout"] !== undefined) entry.report.note("spec.timeout", TIMEOUT);
  if (spec["suspend"] === true)
    entry.report.drop("spec.suspend", "not supported on a source (suspend the Applications that use it)");
}

function reportHelmRepository(entry: SourceEntry): void {
  const spec = (entry.object["spec"] ?? {}) as Json;
  reportUnmapped(
    spec,
    "spec",
    ["url", "type", "interval", "timeout", "provider"],
    {
      secretRef: CREDENTIALS,
      certSecretRef: "not converted (put the CA in the repository Secret, see docs/security.md)",
      passCredentials: "not supported (Tether sends a Helm repository's credentials only to that repository)",
      insecure: "not supported (Tether talks to registries over TLS)",
      accessFrom: "not needed (any Application may use any repository its AppProject allows)",
      suspend: "not supported on a source (suspend the Applications that use it)",
    },
    entry.report,
  );
  if (spec["interval"] !== undefined) entry.report.note("spec.interval", INTERVAL);
  if (spec["timeout"] !== undefined) entry.report.note("spec.timeout", TIMEOUT);
  if (spec["provider"] !== undefined && spec["provider"] !== "generic")
    entry.report.drop(
      "spec.provider",
      `"${str(spec["provider"])}": not supported (use a repository Secret with a token)`,
    );
}

function reportOciRepository(entry: SourceEntry): void {
  const spec = (entry.object["spec"] ?? {}) as Json;
  reportUnmapped(
    spec,
    "spec",
    ["url", "ref", "interval", "timeout"],
    {
      secretRef: CREDENTIALS,
      layerSelector: "not supported (Tether reads a Helm chart artifact)",
      verify: "not supported (Tether does not verify artifact signatures)",
      provider: "not supported (use a repository Secret with a token)",
      insecure: "not supported (Tether talks to registries over TLS)",
      certSecretRef: "not converted (put the CA in the repository Secret, see docs/security.md)",
      serviceAccountName: "not supported (use a repository Secret)",
      ignore: "not needed",
      suspend: "not supported on a source (suspend the Applications that use it)",
    },
    entry.report,
  );
  if (spec["interval"] !== undefined) entry.report.note("spec.interval", INTERVAL);
  if (spec["timeout"] !== undefined) entry.report.note("spec.timeout", TIMEOUT);
}

class Sources {
  private readonly entries = new Map<string, SourceEntry>();

  constructor(private readonly messages: ImportMessage[]) {}

  add(object: Json): void {
    const key = `${str(object["kind"])}/${nsOf(object)}/${nameOf(object)}`;
    this.entries.set(key, { object, report: new Reporter(describe(object), this.messages), reported: false });
  }

  /** The source an object refers to; its own fields are reported the first time it is used. */
  use(kind: string, namespace: string, name: string): SourceEntry | undefined {
    const entry = this.entries.get(`${kind}/${namespace}/${name}`);
    if (entry && !entry.reported) {
      entry.reported = true;
      if (kind === "GitRepository") reportGitRepository(entry);
      else if (kind === "HelmRepository") reportHelmRepository(entry);
      else if (kind === "OCIRepository") reportOciRepository(entry);
    }
    return entry;
  }

  /** Sources nothing used: said, since they become nothing. */
  unused(): SourceEntry[] {
    return [...this.entries.values()].filter((e) => !e.reported);
  }
}

interface Context {
  readonly options: ImportOptions;
  readonly sources: Sources;
}

const mapNs = (ns: unknown, ctx: Context) =>
  targetNamespace(ns, FLUX_NAMESPACE, ctx.options.namespace, ctx.options.systemNamespace ?? "tether-system");

function dependsOn(list: unknown, ownNs: string, ctx: Context): Json[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return (list as Json[]).map((d) => {
    const ns = typeof d["namespace"] === "string" ? d["namespace"] : ownNs;
    const mapped = mapNs(ns, ctx);
    const own = mapNs(ownNs, ctx);
    return mapped === own ? { name: d["name"] } : { name: d["name"], namespace: mapped };
  });
}

/** Resolves a sourceRef; undefined (with the reason reported) when it cannot be used. */
function gitSource(
  ref: Json,
  ownNs: string,
  field: string,
  ctx: Context,
  report: Reporter,
): Json | undefined {
  const kind = str(ref["kind"] ?? "GitRepository");
  const ns = typeof ref["namespace"] === "string" ? ref["namespace"] : ownNs;
  if (kind !== "GitRepository") {
    report.drop(
      field,
      `${kind} ${ns}/${str(ref["name"])}: not supported (Tether Applications sync from Git or a Helm repository): the object is not converted`,
    );
    return undefined;
  }
  const entry = ctx.sources.use(kind, ns, str(ref["name"]));
  if (!entry) {
    report.drop(
      field,
      `GitRepository ${ns}/${str(ref["name"])} is not in the input (import it in the same file): the object is not converted`,
    );
    return undefined;
  }
  const spec = (entry.object["spec"] ?? {}) as Json;
  return {
    repoURL: spec["url"],
    targetRevision: gitRevision(isObject(spec["ref"]) ? spec["ref"] : undefined, entry.report),
  };
}

/** Flux's `images:` entry as Argo CD's / Tether's string form (`name=newName:tag`, `name@digest`). */
export function imageOverride(image: Json): string {
  const name = str(image["name"] ?? "");
  const target = typeof image["newName"] === "string" ? `${name}=${image["newName"]}` : name;
  if (typeof image["digest"] === "string") return `${target}@${image["digest"]}`;
  if (image["newTag"] !== undefined) return `${target}:${str(image["newTag"])}`;
  return target;
}

function finalizersFor(policy: unknown, prune: boolean, report: Reporter): string[] | undefined {
  // Flux deletes what a Kustomization applied when it is deleted, if it prunes (MirrorPrune).
  const mode = typeof policy === "string" ? policy : "MirrorPrune";
  if (mode === "WaitForTermination")
    report.note(
      "spec.deletionPolicy",
      "WaitForTermination: Tether's cascade deletion always waits for the objects to go",
    );
  if (mode === "Orphan") return undefined;
  if (mode === "MirrorPrune" && !prune) return undefined;
  return [CASCADE_FINALIZER];
}

function syncPolicy(
  spec: Json,
  prune: boolean,
  selfHeal: boolean,
  report: Reporter,
  extra: string[] = [],
): Json | undefined {
  const policy: Json = {};
  if (spec["suspend"] === true)
    report.note("spec.suspend", "true: converted to no automated sync (sync by hand with `tether app sync`)");
  else policy["automated"] = { prune, selfHeal };
  if (extra.length) policy["syncOptions"] = extra;
  return Object.keys(policy).length ? policy : undefined;
}

function application(object: Json, spec: Json, ctx: Context, finalizers: string[] | undefined): Json {
  const meta = (object["metadata"] ?? {}) as Json;
  const metadata = portableMetadata(meta, mapNs(meta["namespace"], ctx));
  if (finalizers) metadata["finalizers"] = finalizers;
  return { apiVersion: API_VERSION, kind: "Application", metadata, spec };
}

const KUSTOMIZATION_MAPPED = [
  "sourceRef",
  "path",
  "prune",
  "interval",
  "retryInterval",
  "timeout",
  "targetNamespace",
  "dependsOn",
  "suspend",
  "wait",
  "images",
  "namePrefix",
  "nameSuffix",
  "commonMetadata",
  "deletionPolicy",
  "decryption",
  "postBuild",
];

function convertKustomization(object: Json, ctx: Context, report: Reporter): Json | undefined {
  const spec = (object["spec"] ?? {}) as Json;
  const ownNs = nsOf(object);
  reportUnmapped(
    spec,
    "spec",
    KUSTOMIZATION_MAPPED,
    {
      healthChecks:
        "not supported (Tether judges the health of every object the app renders; objects outside the app are not waited on: make them a dependsOn app)",
      healthCheckExprs:
        "not converted (write the rule as a CEL health rule in ConfigMap tether-config, see docs/health.md)",
      patches:
        "not supported (Tether's kustomize overrides have no patches; put them in the kustomization.yaml in Git)",
      components: "not supported (list the components in the kustomization.yaml in Git)",
      force:
        "not supported (Flux recreates objects whose immutable fields changed; the closest in Tether is syncOptions Replace=true, which is not the same)",
      serviceAccountName: IMPERSONATION,
      kubeConfig: REMOTE,
      ignoreMissingComponents: "not supported",
    },
    report,
  );
  const source = gitSource(
    isObject(spec["sourceRef"]) ? spec["sourceRef"] : {},
    ownNs,
    "spec.sourceRef",
    ctx,
    report,
  );
  if (!source) return undefined;
  source["path"] = cleanPath(spec["path"]);
  const kustomize: Json = {};
  for (const key of ["namePrefix", "nameSuffix"])
    if (typeof spec[key] === "string") kustomize[key] = spec[key];
  if (Array.isArray(spec["images"])) kustomize["images"] = (spec["images"] as Json[]).map(imageOverride);
  if (isObject(spec["commonMetadata"])) {
    const common = spec["commonMetadata"];
    if (isObject(common["annotations"])) kustomize["commonAnnotations"] = common["annotations"];
    if (common["labels"] !== undefined)
      report.drop(
        "spec.commonMetadata.labels",
        "not supported (Tether's commonLabels also change selectors, Flux's do not; put `labels:` in the kustomization.yaml in Git)",
      );
  }
  if (Object.keys(kustomize).length) source["kustomize"] = kustomize;
  if (isObject(spec["postBuild"])) {
    for (const key of Object.keys(spec["postBuild"]))
      report.drop(`spec.postBuild.${key}`, "not supported (Tether renders without variable substitution)");
  }
  // SOPS with age keys maps one to one (Tether reads `*.agekey` entries of the same Secret, as Flux does).
  let decryption: Json | undefined;
  if (isObject(spec["decryption"])) {
    const d = spec["decryption"];
    const secret = isObject(d["secretRef"]) ? str(d["secretRef"]["name"]) : "";
    if (d["provider"] === "sops" && secret) {
      decryption = { provider: "sops", secretRef: { name: secret } };
      report.note(
        "spec.decryption",
        "mapped to spec.decryption: Tether decrypts age recipients only (pgp, KMS and Vault keys are refused by name)",
      );
    } else {
      report.drop(
        "spec.decryption",
        `provider ${str(d["provider"] ?? "?")}: not supported (Tether decrypts SOPS with age keys from a secretRef)`,
      );
    }
  }
  for (const key of ["interval", "retryInterval"])
    if (spec[key] !== undefined) report.note(`spec.${key}`, INTERVAL);
  if (spec["timeout"] !== undefined) report.note("spec.timeout", TIMEOUT);
  if (spec["wait"] !== undefined)
    report.note("spec.wait", "not needed (Tether always waits for every object it applies to be healthy)");
  const destination: Json = { server: IN_CLUSTER };
  if (typeof spec["targetNamespace"] === "string") {
    destination["namespace"] = spec["targetNamespace"];
    report.note(
      "spec.targetNamespace",
      "mapped to spec.destination.namespace: objects that name another namespace keep it (Flux moves them)",
    );
  }
  const prune = spec["prune"] === true;
  const out: Json = { source, destination };
  const deps = dependsOn(spec["dependsOn"], ownNs, ctx);
  if (deps) out["dependsOn"] = deps;
  if (decryption) out["decryption"] = decryption;
  // Flux corrects drift at every interval: selfHeal.
  const policy = syncPolicy(spec, prune, true, report);
  if (policy) out["syncPolicy"] = policy;
  return application(object, out, ctx, finalizersFor(spec["deletionPolicy"], prune, report));
}

/** `oci://ghcr.io/org/charts/podinfo` → repository `oci://ghcr.io/org/charts`, chart `podinfo`. */
function splitOci(url: string): { repoURL: string; chart: string } {
  const slash = url.lastIndexOf("/");
  return { repoURL: url.slice(0, slash), chart: url.slice(slash + 1) };
}

function helmChartSource(spec: Json, ownNs: string, ctx: Context, report: Reporter): Json | undefined {
  if (isObject(spec["chartRef"])) {
    const ref = spec["chartRef"];
    const kind = str(ref["kind"]);
    const ns = typeof ref["namespace"] === "string" ? ref["namespace"] : ownNs;
    if (kind !== "OCIRepository") {
      report.drop(
        "spec.chartRef",
        `${kind} ${ns}/${str(ref["name"])}: not supported (Tether takes a chart from a Helm repository, an OCI registry or Git): the object is not converted`,
      );
      return undefined;
    }
    const entry = ctx.sources.use(kind, ns, str(ref["name"]));
    if (!entry) {
      report.drop(
        "spec.chartRef",
        `OCIRepository ${ns}/${str(ref["name"])} is not in the input (import it in the same file): the object is not converted`,
      );
      return undefined;
    }
    const oci = (entry.object["spec"] ?? {}) as Json;
    const ociRef = isObject(oci["ref"]) ? oci["ref"] : {};
    const revision = ociRef["digest"] ?? ociRef["semver"] ?? ociRef["tag"] ?? "latest";
    if (ociRef["digest"] !== undefined)
      entry.report.drop("spec.ref.digest", "not supported (Tether asks for a chart version, not a digest)");
    return { ...splitOci(str(oci["url"])), targetRevision: str(revision) };
  }
  const chart = isObject(spec["chart"]) && isObject(spec["chart"]["spec"]) ? spec["chart"]["spec"] : {};
  reportUnmapped(
    chart,
    "spec.chart.spec",
    ["chart", "version", "sourceRef", "valuesFiles", "interval", "reconcileStrategy"],
    {
      verify: "not supported (Tether does not verify chart signatures)",
      ignoreMissingValuesFiles: "not supported (a missing values file fails the render)",
      valuesFile: "not converted (deprecated by Flux; use valuesFiles)",
    },
    report,
  );
  if (chart["interval"] !== undefined) report.note("spec.chart.spec.interval", INTERVAL);
  if (chart["reconcileStrategy"] !== undefined)
    report.note(
      "spec.chart.spec.reconcileStrategy",
      "not needed (Tether renders the chart at every new revision of its source)",
    );
  const ref = isObject(chart["sourceRef"]) ? chart["sourceRef"] : {};
  const kind = str(ref["kind"] ?? "HelmRepository");
  const ns = typeof ref["namespace"] === "string" ? ref["namespace"] : ownNs;
  let source: Json | undefined;
  if (kind === "GitRepository") {
    source = gitSource(ref, ownNs, "spec.chart.spec.sourceRef", ctx, report);
    if (source) source["path"] = cleanPath(chart["chart"]);
    if (source && chart["version"] !== undefined)
      report.note("spec.chart.spec.version", "not needed (a chart from Git is taken at the Git revision)");
  } else if (kind === "HelmRepository") {
    const entry = ctx.sources.use(kind, ns, str(ref["name"]));
    if (!entry) {
      report.drop(
        "spec.chart.spec.sourceRef",
        `HelmRepository ${ns}/${str(ref["name"])} is not in the input (import it in the same file): the object is not converted`,
      );
      return undefined;
    }
    const repo = (entry.object["spec"] ?? {}) as Json;
    source = { repoURL: repo["url"], chart: chart["chart"] };
    // Flux's default "*" is the newest version, which is helm's when no version is given.
    if (typeof chart["version"] === "string" && chart["version"] !== "*")
      source["targetRevision"] = chart["version"];
  } else {
    report.drop(
      "spec.chart.spec.sourceRef",
      `${kind} ${ns}/${str(ref["name"])}: not supported (Tether takes a chart from a Helm repository, an OCI registry or Git): the object is not converted`,
    );
    return undefined;
  }
  if (source && Array.isArray(chart["valuesFiles"])) {
    (source["helm"] ??= {}) as Json;
    (source["helm"] as Json)["valueFiles"] = chart["valuesFiles"];
  }
  return source;
}

const HELMRELEASE_MAPPED = [
  "chart",
  "chartRef",
  "values",
  "valuesFrom",
  "releaseName",
  "targetNamespace",
  "storageNamespace",
  "install",
  "upgrade",
  "test",
  "rollback",
  "uninstall",
  "driftDetection",
  "dependsOn",
  "suspend",
  "interval",
  "timeout",
  "maxHistory",
  "persistentClient",
];
const HELM_RUNTIME =
  "not supported (Tether renders the chart with helm template and applies it with server-side apply: there is no Helm release to install, upgrade or roll back)";

function convertHelmRelease(object: Json, ctx: Context, report: Reporter): Json | undefined {
  const spec = (object["spec"] ?? {}) as Json;
  const ownNs = nsOf(object);
  reportUnmapped(
    spec,
    "spec",
    HELMRELEASE_MAPPED,
    {
      postRenderers:
        "not supported (render with Kustomize in Git instead: a kustomization.yaml with helmCharts and patches, built with --enable-helm)",
      serviceAccountName: IMPERSONATION,
      kubeConfig: REMOTE,
      commonMetadata: "not supported (set labels in the chart's values)",
    },
    report,
  );
  const source = helmChartSource(spec, ownNs, ctx, report);
  if (!source) return undefined;
  const helm = (source["helm"] ?? {}) as Json;
  if (spec["values"] !== undefined) helm["values"] = stringify(spec["values"]);
  if (Array.isArray(spec["valuesFrom"])) {
    (spec["valuesFrom"] as Json[]).forEach((v, i) => {
      report.drop(
        `spec.valuesFrom[${i}]`,
        `${str(v["kind"])} ${str(v["name"])}${v["valuesKey"] ? ` key ${str(v["valuesKey"])}` : ""}: not supported (Tether takes values from Git or inline; copy them into a values file, or keep secrets out of values)`,
      );
    });
  }
  const destinationNs = typeof spec["targetNamespace"] === "string" ? spec["targetNamespace"] : ownNs;
  // Flux names the release [targetNamespace-]name: keep that name, so a chart's resources keep theirs.
  const releaseName =
    typeof spec["releaseName"] === "string"
      ? spec["releaseName"]
      : typeof spec["targetNamespace"] === "string"
        ? `${spec["targetNamespace"]}-${nameOf(object)}`
        : nameOf(object);
  helm["releaseName"] = releaseName;
  if (spec["storageNamespace"] !== undefined)
    report.note("spec.storageNamespace", "not needed (Tether keeps no Helm release Secrets)");
  const syncOptions: string[] = [];
  const install = isObject(spec["install"]) ? spec["install"] : {};
  for (const key of Object.keys(install)) {
    if (key === "createNamespace") {
      if (install[key] === true) syncOptions.push("CreateNamespace=true");
    } else if (key === "crds") {
      if (install[key] === "Skip") helm["skipCrds"] = true;
    } else if (key === "remediation")
      report.drop(
        "spec.install.remediation",
        "not supported (a failed sync is retried per spec.syncPolicy.retry; Tether never uninstalls to remediate)",
      );
    else if (key === "disableWait" || key === "disableWaitForJobs" || key === "timeout")
      report.note(`spec.install.${key}`, "not needed (Tether waits on health per sync wave)");
    else report.drop(`spec.install.${key}`, HELM_RUNTIME);
  }
  const upgrade = isObject(spec["upgrade"]) ? spec["upgrade"] : {};
  for (const key of Object.keys(upgrade)) {
    if (key === "remediation")
      report.drop(
        "spec.upgrade.remediation",
        "not supported (Tether never rolls back on its own: a failed sync is retried per spec.syncPolicy.retry, and `tether app rollback` goes back by hand)",
      );
    else if (key === "crds" && upgrade[key] !== "Skip")
      continue; // Tether applies CRDs from crds/ on every sync, like CreateReplace
    else report.drop(`spec.upgrade.${key}`, HELM_RUNTIME);
  }
  for (const key of ["test", "rollback", "uninstall"]) {
    if (spec[key] !== undefined)
      report.drop(
        `spec.${key}`,
        key === "test" ? "not supported (Tether never runs Helm test hooks)" : HELM_RUNTIME,
      );
  }
  let selfHeal = false; // Flux corrects drift only with driftDetection enabled
  if (isObject(spec["driftDetection"])) {
    const drift = spec["driftDetection"];
    selfHeal = drift["mode"] === "enabled";
    if (drift["mode"] === "warn")
      report.note(
        "spec.driftDetection.mode",
        "warn: Tether shows drift as OutOfSync without correcting it (selfHeal: false)",
      );
    if (drift["ignore"] !== undefined)
      report.drop(
        "spec.driftDetection.ignore",
        "not converted (write the rules as spec.ignoreDifferences with jsonPointers)",
      );
  }
  for (const key of ["interval"]) if (spec[key] !== undefined) report.note(`spec.${key}`, INTERVAL);
  if (spec["timeout"] !== undefined) report.note("spec.timeout", TIMEOUT);
  if (spec["maxHistory"] !== undefined)
    report.note("spec.maxHistory", "not needed (Tether keeps its own history in the Application's status)");
  if (spec["persistentClient"] !== undefined) report.note("spec.persistentClient", "not needed");
  source["helm"] = helm;
  const out: Json = { source, destination: { server: IN_CLUSTER, namespace: destinationNs } };
  const deps = dependsOn(spec["dependsOn"], ownNs, ctx);
  if (deps) out["dependsOn"] = deps;
  const policy = syncPolicy(spec, true, selfHeal, report, syncOptions);
  if (policy) out["syncPolicy"] = policy;
  // Deleting a HelmRelease uninstalls the release: Tether's cascade finalizer does the same.
  return application(object, out, ctx, [CASCADE_FINALIZER]);
}

const FLUX_GROUPS = new Set([
  "source.toolkit.fluxcd.io",
  "kustomize.toolkit.fluxcd.io",
  "helm.toolkit.fluxcd.io",
]);

/** Converts the Kustomizations and HelmReleases in `docs`, with the sources they name. */
export function convertFlux(docs: readonly Json[], options: ImportOptions = {}): ImportResult {
  const messages: ImportMessage[] = [];
  const objects: Json[] = [];
  const sources = new Sources(messages);
  const ctx: Context = { options, sources };
  for (const doc of docs) {
    if (group(doc["apiVersion"]) === "source.toolkit.fluxcd.io" && SOURCE_KINDS.includes(str(doc["kind"])))
      sources.add(doc);
  }
  for (const doc of docs) {
    const report = new Reporter(describe(doc), messages);
    const g = group(doc["apiVersion"]);
    if (g === "kustomize.toolkit.fluxcd.io" && doc["kind"] === "Kustomization") {
      const app = convertKustomization(doc, ctx, report);
      if (app) objects.push(app);
    } else if (g === "helm.toolkit.fluxcd.io" && doc["kind"] === "HelmRelease") {
      const app = convertHelmRelease(doc, ctx, report);
      if (app) objects.push(app);
    } else if (g === "source.toolkit.fluxcd.io" && SOURCE_KINDS.includes(str(doc["kind"]))) continue;
    else if (FLUX_GROUPS.has(g) || g.endsWith(".toolkit.fluxcd.io")) {
      report.drop(
        "kind",
        "not converted (Tether imports Kustomization and HelmRelease with their GitRepository, HelmRepository or OCIRepository; for image automation see docs/images.md)",
      );
    } else
      report.drop(
        "apiVersion",
        `"${str(doc["apiVersion"])}" is not a Flux object: not converted (plain Kubernetes objects belong in Git, where an Application syncs them)`,
      );
  }
  for (const unused of sources.unused()) {
    const kind = str(unused.object["kind"]);
    if (kind === "Bucket" || kind === "HelmChart")
      unused.report.drop("kind", "not supported (Tether syncs from Git, Helm repositories and OCI charts)");
    else
      unused.report.note(
        "kind",
        "not used by any Kustomization or HelmRelease in the input: nothing to convert (Tether has no separate source object)",
      );
  }
  return { objects, messages };
}
