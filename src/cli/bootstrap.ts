// `tether bootstrap`: installs Tether from its Helm chart and hands the installation to Git.
// It commits the chart and the cluster's values to the repository it manages (bootstrap-git.ts:
// <path>/tether/chart, <path>/tether/values.yaml and Application `tether` in <path>/tether.yaml),
// renders that commit with helm and server-side applies it (the first install: nothing syncs yet),
// and creates Application `tether-config`, which syncs <path> itself (AppProjects, Applications,
// ConfigMap tether-config, the `tether` Application). From then on a setting is a commit to
// values.yaml and an upgrade is `tether bootstrap` of a newer version (a commit of its chart).
// Everything is applied as field manager `tether`, so running it again changes nothing: each
// object is reported created, configured or unchanged (its resourceVersion did not move).
import { execFile } from "node:child_process";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubeClients, loadKubeConfig } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import { repoRoot } from "../toolchain/components.js";
import { waitFor } from "../lib/wait.js";
import type { Application } from "../model/application.js";
import { API_VERSION } from "../model/application.js";
import { CHART_FOLDER, commitInstall, installApplication, VALUES_FILE } from "./bootstrap-git.js";
import { UsageError } from "./errors.js";
import { explicitBinary, toolBinary } from "./toolbinaries.js";

export const BOOTSTRAP_USAGE = `Usage: tether bootstrap --repo URL --path clusters/NAME [flags]

Installs Tether into the cluster from its Helm chart, and hands the installation to Git: commits
the chart and the cluster's values to the repository (<path>/tether/chart, <path>/tether/values.yaml,
Application \`tether\` in <path>/tether.yaml), applies that commit, and creates the Application that
syncs <path> (AppProjects, Applications, ConfigMap tether-config, …). From then on a setting is a
commit to values.yaml, and an upgrade is \`tether bootstrap\` run by the newer version. Safe to run
again: objects that already match are left untouched and reported "unchanged"; values.yaml in Git
is never overwritten.

Flags:
  --kubeconfig FILE            the cluster (default: $KUBECONFIG, ~/.kube/config)
  --repo URL                   the Git repository holding the cluster's configuration (pushed to
                               with your own git configuration and credentials)
  --path DIR                   its folder for this cluster, e.g. clusters/production
  --revision BRANCH            branch to commit to and follow (default main)
  --system-namespace NS        Tether's namespace (default tether-system)
  --name NAME                  name of the Application that syncs --path (default tether-config)
  --helm PATH                  helm binary (default: $TETHER_HELM, else built into the local cache)
  --no-controller-deployment   a first values.yaml with controller.enabled: false (run
                               \`tether controller\` next to the cluster instead)
`;

export const DEFAULT_SYSTEM_NAMESPACE = "tether-system";

export interface BootstrapOptions {
  readonly repo: string;
  readonly path: string;
  readonly revision: string;
  readonly systemNamespace: string;
  readonly name: string;
  readonly controllerDeployment: boolean;
}

type Obj = KubernetesObject & Record<string, unknown> & { apiVersion: string; kind: string };

/** The first values.yaml written to Git (the cluster's own file from then on). */
export function initialValues(options: Pick<BootstrapOptions, "controllerDeployment">): string {
  const lines = [
    "# Settings of this cluster's Tether (charts/tether/values.yaml lists them all). A commit here",
    "# is applied by Application `tether`; tether bootstrap never overwrites this file.",
  ];
  lines.push(...(options.controllerDeployment ? ["{}"] : ["controller:", "  enabled: false"]));
  return `${lines.join("\n")}\n`;
}

/** `helm template` of the chart with the values, as Application `tether` renders it (CRDs included). */
export async function renderInstall(
  helm: string,
  chartDir: string,
  valuesFile: string,
  namespace: string,
): Promise<Obj[]> {
  const args = [
    "template",
    `--namespace=${namespace}`,
    "--include-crds",
    `--values=${valuesFile}`,
    "--",
    "tether",
    chartDir,
  ];
  const { stdout } = await promisify(execFile)(helm, args, { maxBuffer: 64 * 1024 * 1024 });
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o?.kind);
  // CRDs first (the rest may be custom resources), then the chart's order.
  const crd = (o: Obj) => o.kind === "CustomResourceDefinition";
  return [...objects.filter(crd), ...objects.filter((o) => !crd(o))];
}

/** The Application through which Git manages Tether's own configuration. */
export function selfApplication(options: BootstrapOptions): Application {
  return {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata: {
      name: options.name,
      namespace: options.systemNamespace,
      labels: { "app.kubernetes.io/part-of": "tether" },
    },
    spec: {
      project: "default",
      source: { repoURL: options.repo, targetRevision: options.revision, path: options.path },
      // Objects without a namespace (Applications, AppProjects, tether-config) land in Tether's own.
      destination: { server: "https://kubernetes.default.svc", namespace: options.systemNamespace },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

export type Action = "created" | "configured" | "unchanged";

export interface Change {
  readonly ref: string;
  readonly action: Action;
}

const refOf = (o: KubernetesObject) =>
  `${o.kind ?? ""} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? ""}`;

/** Server-side applies `object`; what happened is read from its resourceVersion before and after. */
async function applyOne(resources: ResourceClient, object: Obj): Promise<Change> {
  const ref = {
    apiVersion: object.apiVersion ?? "",
    kind: object.kind ?? "",
    namespace: object.metadata?.namespace,
    name: object.metadata?.name ?? "",
  };
  const before = await resources.read(ref);
  const after = await resources.apply(object, { force: true });
  const action: Action = !before
    ? "created"
    : before.metadata?.resourceVersion === after.metadata?.resourceVersion
      ? "unchanged"
      : "configured";
  if (object.kind === "CustomResourceDefinition") {
    await waitFor(
      `CRD ${ref.name} to be Established`,
      async () => {
        const live = (await resources.read(ref)) as
          { status?: { conditions?: { type: string; status: string }[] } } | undefined;
        return (
          live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
        );
      },
      { timeoutMs: 60_000 },
    );
  }
  return { ref: refOf(object), action };
}

async function ensureNamespace(resources: ResourceClient, name: string): Promise<Change> {
  const ref = { apiVersion: "v1", kind: "Namespace", name };
  if (await resources.read(ref)) return { ref: `Namespace ${name}`, action: "unchanged" };
  await resources.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, { force: true });
  return { ref: `Namespace ${name}`, action: "created" };
}

export interface BootstrapResult {
  readonly changes: Change[];
  /** The commit pushed, or undefined when Git already held this installation. */
  readonly commit: string | undefined;
}

export async function bootstrap(
  resources: ResourceClient,
  options: BootstrapOptions & { helm: string; chartDir?: string },
  log: (line: string) => void,
): Promise<BootstrapResult> {
  const installed = await commitInstall({
    ...options,
    chartDir: options.chartDir ?? path.join(repoRoot, "charts/tether"),
    initialValues: initialValues(options),
  });
  try {
    log(
      installed.commit
        ? `committed  ${options.path}/tether (${installed.commit.slice(0, 7)}) to ${options.repo}`
        : `unchanged  ${options.path}/tether in ${options.repo}`,
    );
    const folder = path.join(installed.dir, options.path);
    const objects = await renderInstall(
      options.helm,
      path.join(folder, CHART_FOLDER),
      path.join(folder, VALUES_FILE),
      options.systemNamespace,
    );
    const apps = [installApplication(options), selfApplication(options)] as unknown as Obj[];
    // As `helm install --create-namespace`: created when missing, never managed (the apiserver
    // adds fields to a Namespace after an apply, so a second apply would always "configure" it).
    const changes: Change[] = [await ensureNamespace(resources, options.systemNamespace)];
    log(`${changes[0]?.action.padEnd(10)} Namespace ${options.systemNamespace}`);
    for (const object of [...objects, ...apps]) {
      const change = await applyOne(resources, object);
      log(`${change.action.padEnd(10)} ${change.ref}`);
      changes.push(change);
    }
    return { changes, commit: installed.commit };
  } finally {
    await installed.remove();
  }
}

export async function bootstrapCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        kubeconfig: { type: "string" },
        repo: { type: "string" },
        path: { type: "string" },
        revision: { type: "string" },
        "system-namespace": { type: "string" },
        name: { type: "string" },
        helm: { type: "string" },
        "no-controller-deployment": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? String(error));
  }
  if (values.help) {
    process.stdout.write(BOOTSTRAP_USAGE);
    return 0;
  }
  if (!values.repo || !values.path)
    throw new UsageError("bootstrap needs --repo URL and --path clusters/NAME");
  const clean = values.path.replace(/^\.\//, "").replace(/\/+$/, "");
  if (clean === "" || clean.startsWith("/") || clean.split("/").includes(".."))
    throw new UsageError(`--path "${values.path}" must be a folder inside the repository`);
  const revision = values.revision ?? "main";
  if (!/^[A-Za-z0-9._/-]+$/.test(revision) || revision.startsWith("-"))
    throw new UsageError(`--revision "${revision}" is not a branch name`);
  const options: BootstrapOptions = {
    repo: values.repo,
    path: clean,
    revision,
    systemNamespace: values["system-namespace"] ?? DEFAULT_SYSTEM_NAMESPACE,
    name: values.name ?? "tether-config",
    controllerDeployment: !values["no-controller-deployment"],
  };
  const helm = await toolBinary(
    "helm",
    explicitBinary("--helm", values.helm, "TETHER_HELM", process.env),
    process.env,
  );
  const resources = new ResourceClient(kubeClients(loadKubeConfig(values.kubeconfig)));
  const { changes } = await bootstrap(resources, { ...options, helm }, (line) =>
    process.stdout.write(`${line}\n`),
  );
  const count = (a: Action) => changes.filter((c) => c.action === a).length;
  process.stdout.write(
    count("created") + count("configured") === 0
      ? `bootstrap: all ${changes.length} objects unchanged\n`
      : `bootstrap: ${count("created")} created, ${count("configured")} configured, ${count("unchanged")} unchanged; Application ${options.systemNamespace}/tether installs Tether from ${options.path}/tether, ${options.systemNamespace}/${options.name} syncs ${options.repo} ${options.path}@${options.revision}\n`,
  );
  return 0;
}
