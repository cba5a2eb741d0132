// The binaries Tether builds from source for its local control plane and render stage.
// Versions are pinned here and in build/components/<module>/go.mod; the cache key includes
// the go.sum hash, so bumping a version (which changes go.sum) never reuses a stale binary.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Kubernetes release the local control plane runs. See docs/adr/0001-kubernetes-version.md. */
export const KUBERNETES_VERSION = "v1.35.4";
export const ETCD_VERSION = "v3.6.16";
export const KWOK_VERSION = "v0.8.0";
export const HELM_VERSION = "v3.19.5";
export const KUSTOMIZE_VERSION = "v5.8.1";
export const REGISTRY_VERSION = "v3.1.2";
export const SOPS_VERSION = "v3.13.3";
export const AGE_VERSION = "v1.3.1";
/** Name of kwok's Stage configuration inside its cache entry. */
export const KWOK_STAGES_FILE = "stages.yaml";

export type ComponentName =
  | "etcd"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kwok"
  | "helm"
  | "kustomize"
  | "registry"
  | "sops"
  | "age-keygen";

export interface ComponentSpec {
  readonly name: ComponentName;
  readonly version: string;
  /** Folder (relative to the repository root) holding the wrapper Go module. */
  readonly moduleDir: string;
  /** Go package path of the command's main package. */
  readonly pkg: string;
  readonly ldflags: readonly string[];
  /** Arguments that make the binary print its version and exit 0: proves the build runs. */
  readonly versionArgs: readonly string[];
  /** Data files shipped in a Go module, concatenated as YAML documents into the cache entry. */
  readonly assets?: { readonly module: string; readonly files: readonly string[]; readonly output: string };
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function kubeLdflags(): string[] {
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, "").split(".");
  const base = "k8s.io/component-base/version";
  return [
    `-X ${base}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${base}.gitMajor=${major ?? ""}`,
    `-X ${base}.gitMinor=${minor ?? ""}`,
    `-X ${base}.gitTreeState=clean`,
  ];
}

function kube(name: ComponentName): ComponentSpec {
  return {
    name,
    version: KUBERNETES_VERSION,
    moduleDir: "build/components/kubernetes",
    pkg: `k8s.io/kubernetes/cmd/${name}`,
    ldflags: kubeLdflags(),
    versionArgs: ["--version"],
  };
}

export const COMPONENTS: Readonly<Record<ComponentName, ComponentSpec>> = {
  etcd: {
    name: "etcd",
    version: ETCD_VERSION,
    moduleDir: "build/components/etcd",
    pkg: "go.etcd.io/etcd/server/v3",
    ldflags: [],
    versionArgs: ["--version"],
  },
  "kube-apiserver": kube("kube-apiserver"),
  "kube-controller-manager": kube("kube-controller-manager"),
  "kube-scheduler": kube("kube-scheduler"),
  kwok: {
    name: "kwok",
    version: KWOK_VERSION,
    moduleDir: "build/components/kwok",
    pkg: "sigs.k8s.io/kwok/cmd/kwok",
    // kwok stamps its own version in pkg/consts; nothing to inject.
    ldflags: [],
    versionArgs: ["--version"],
    // kwok has no built-in lifecycle: these upstream Stage definitions (the ones kwokctl uses by
    // default) make nodes Ready with leases and move pods through Pending → Running → deleted.
    assets: {
      module: "sigs.k8s.io/kwok",
      output: KWOK_STAGES_FILE,
      files: [
        "kustomize/stage/node/fast/node-initialize.yaml",
        "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
        ...[
          "create",
          "init-container-running",
          "init-container-completed",
          "ready",
          "complete",
          "delete",
        ].map((stage) => `kustomize/stage/pod/general/pod-${stage}.yaml`),
      ],
    },
  },
  helm: {
    name: "helm",
    version: HELM_VERSION,
    moduleDir: "build/components/helm",
    pkg: "helm.sh/helm/v3/cmd/helm",
    ldflags: [`-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`],
    versionArgs: ["version", "--short"],
  },
  kustomize: {
    name: "kustomize",
    version: KUSTOMIZE_VERSION,
    moduleDir: "build/components/kustomize",
    pkg: "sigs.k8s.io/kustomize/kustomize/v5",
    ldflags: [`-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION}`],
    versionArgs: ["version"],
  },
  // An OCI registry (CNCF distribution) for tests that render Helm charts from oci:// URLs.
  registry: {
    name: "registry",
    version: REGISTRY_VERSION,
    moduleDir: "build/components/registry",
    pkg: "github.com/distribution/distribution/v3/cmd/registry",
    ldflags: [`-X github.com/distribution/distribution/v3/version.version=${REGISTRY_VERSION}`],
    versionArgs: ["--version"],
  },
  // Test-only: the real sops CLI encrypts the vectors Tether's SOPS decryption must read, and
  // age-keygen (from the same wrapper module) makes their keys. Tether itself never runs either.
  sops: {
    name: "sops",
    version: SOPS_VERSION,
    moduleDir: "build/components/sops",
    pkg: "github.com/getsops/sops/v3/cmd/sops",
    // sops stamps its own version in version.Version; never let --version call home.
    ldflags: [],
    versionArgs: ["--version", "--disable-version-check"],
  },
  "age-keygen": {
    name: "age-keygen",
    version: AGE_VERSION,
    moduleDir: "build/components/sops",
    pkg: "filippo.io/age/cmd/age-keygen",
    ldflags: [`-X main.Version=${AGE_VERSION}`],
    versionArgs: ["-version"],
  },
};

/** What the local control plane needs; helm and kustomize are for the render stage. */
export const CONTROL_PLANE: readonly ComponentName[] = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
];
export const ALL_COMPONENTS = Object.keys(COMPONENTS) as ComponentName[];
