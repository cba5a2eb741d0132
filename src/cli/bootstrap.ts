// `tether bootstrap`: installs Tether from deploy/ (CRDs, namespace, ServiceAccount, RBAC, the
// controller Deployment) and creates the one Application, in the system namespace, that syncs
// Tether's own configuration (AppProjects, Applications, ConfigMap tether-config) from Git at
// clusters/NAME. Everything is server-side applied as field manager `tether`, so running it again
// is a no-op: each object is reported created, configured or unchanged (its resourceVersion did
// not move), as Flux's change sets are.
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { kubeClients, loadKubeConfig } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import { repoRoot } from "../localcluster/components.js";
import { waitFor } from "../localcluster/wait.js";
import type { Application } from "../model/application.js";
import { API_VERSION } from "../model/application.js";
import { UsageError } from "./errors.js";

export const BOOTSTRAP_USAGE = `Usage: tether bootstrap --repo URL --path clusters/NAME [flags]

Installs Tether from deploy/ and creates the Application that manages Tether's configuration
(AppProjects, Applications, ConfigMap tether-config, …) from Git at --path: from then on, a change
to that folder is reconciled like any app. Safe to run again: objects that already match are left
untouched and reported "unchanged".

Flags:
  --kubeconfig FILE            the cluster (default: $KUBECONFIG, ~/.kube/config)
  --repo URL                   the Git repository holding the cluster's configuration
  --path DIR                   its folder for this cluster, e.g. clusters/production
  --revision REV               branch, tag or commit to follow (default main)
  --system-namespace NS        Tether's namespace (default tether-system)
  --name NAME                  name of the self-managing Application (default tether-config)
  --no-controller-deployment   install everything but the controller Deployment (run
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

type Obj = KubernetesObject & Record<string, unknown>;

/** deploy/'s objects in kustomization.yaml's order, moved to `systemNamespace`. Pure but for reading files. */
export async function installObjects(
  options: BootstrapOptions,
  deployDir = path.join(repoRoot, "deploy"),
): Promise<Obj[]> {
  const kustomization = parseYaml(await fs.readFile(path.join(deployDir, "kustomization.yaml"), "utf8")) as { resources: string[] }; // prettier-ignore
  const objects: Obj[] = [];
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(await fs.readFile(path.join(deployDir, file), "utf8"))) {
      const object = doc.toJS() as Obj | null;
      if (!object) continue;
      if (object.kind === "Deployment" && !options.controllerDeployment) continue;
      objects.push(moveNamespace(object, options.systemNamespace));
    }
  }
  return objects;
}

function moveNamespace(object: Obj, ns: string): Obj {
  if (ns === DEFAULT_SYSTEM_NAMESPACE) return object;
  const out = structuredClone(object);
  if (out.kind === "Namespace" && out.metadata?.name === DEFAULT_SYSTEM_NAMESPACE) out.metadata.name = ns;
  if (out.metadata?.namespace === DEFAULT_SYSTEM_NAMESPACE) out.metadata.namespace = ns;
  const subjects = out["subjects"] as { namespace?: string }[] | undefined;
  for (const s of subjects ?? []) if (s.namespace === DEFAULT_SYSTEM_NAMESPACE) s.namespace = ns;
  const args = (out as { spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } } }).spec?.template?.spec?.containers?.[0]?.args; // prettier-ignore
  if (args) args.forEach((a, i) => i > 0 && args[i - 1] === "--system-namespace" && (args[i] = ns));
  return out;
}

/** The Application through which Git manages Tether's own configuration. */
export function selfApplication(options: BootstrapOptions): Application {
  return {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata: { name: options.name, namespace: options.systemNamespace, labels: { "app.kubernetes.io/part-of": "tether" } }, // prettier-ignore
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

const refOf = (o: KubernetesObject) => `${o.kind ?? ""} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? ""}`; // prettier-ignore

/** Server-side applies `object`; what happened is read from its resourceVersion before and after. */
async function applyOne(resources: ResourceClient, object: Obj): Promise<Change> {
  const ref = { apiVersion: object.apiVersion ?? "", kind: object.kind ?? "", namespace: object.metadata?.namespace, name: object.metadata?.name ?? "" }; // prettier-ignore
  const before = await resources.read(ref);
  const after = await resources.apply(object, { force: true });
  const action: Action = !before ? "created" : before.metadata?.resourceVersion === after.metadata?.resourceVersion ? "unchanged" : "configured"; // prettier-ignore
  if (object.kind === "CustomResourceDefinition") {
    await waitFor(`CRD ${ref.name} to be Established`, async () => {
      const live = (await resources.read(ref)) as { status?: { conditions?: { type: string; status: string }[] } } | undefined; // prettier-ignore
      return live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
    }, { timeoutMs: 60_000 }); // prettier-ignore
  }
  return { ref: refOf(object), action };
}

export async function bootstrap(
  resources: ResourceClient,
  options: BootstrapOptions,
  log: (line: string) => void,
): Promise<Change[]> {
  // prettier-ignore
  const changes: Change[] = [];
  for (const object of [...(await installObjects(options)), selfApplication(options) as unknown as Obj]) {
    const change = await applyOne(resources, object);
    log(`${change.action.padEnd(10)} ${change.ref}`);
    changes.push(change);
  }
  return changes;
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
  if (clean === "" || clean.startsWith("/") || clean.split("/").includes("..")) throw new UsageError(`--path "${values.path}" must be a folder inside the repository`); // prettier-ignore
  const options: BootstrapOptions = {
    repo: values.repo,
    path: clean,
    revision: values.revision ?? "main",
    systemNamespace: values["system-namespace"] ?? DEFAULT_SYSTEM_NAMESPACE,
    name: values.name ?? "tether-config",
    controllerDeployment: !values["no-controller-deployment"],
  };
  const resources = new ResourceClient(kubeClients(loadKubeConfig(values.kubeconfig)));
  const changes = await bootstrap(resources, options, (line) => process.stdout.write(`${line}\n`));
  const count = (a: Action) => changes.filter((c) => c.action === a).length;
  process.stdout.write(
    count("created") + count("configured") === 0
      ? `bootstrap: all ${changes.length} objects unchanged\n`
      : `bootstrap: ${count("created")} created, ${count("configured")} configured, ${count("unchanged")} unchanged; Application ${options.systemNamespace}/${options.name} syncs ${options.repo} ${options.path}@${options.revision}\n`, // prettier-ignore
  );
  return 0;
}
