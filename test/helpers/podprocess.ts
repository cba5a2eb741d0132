// A container of a rendered Deployment started as a process, as the kubelet would start it, for
// tests of Tether's own in-cluster components (kwok pods run no containers). What it reproduces:
//   - the container's args and literal env, nothing else from this process's environment, plus
//     the image's Env (PATH with helm and kustomize, HOME) and what the kubelet adds
//     (KUBERNETES_SERVICE_HOST/PORT);
//   - every volume at its real mountPath, through bind mounts in a private mount namespace
//     (`unshare --mount`): emptyDirs as fresh 0777 folders shared by the pod's containers; the
//     projected service-account volume (or the one automountServiceAccountToken adds) with a token
//     from the TokenRequest API for the pod's ServiceAccount, ca.crt from ConfigMap
//     kube-root-ca.crt and the namespace; Secret and ConfigMap volumes from the live objects;
//   - the securityContext's uid/gid (setpriv, when the test runs as root).
// Any other volume source fails the test: a manifest needing it cannot be proven this way.
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import type {
  CoreV1Api,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import { repoRoot } from "../../src/toolchain/components.js";

export const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
const isRoot = process.getuid?.() === 0;

export interface PodContext {
  readonly deployment: V1Deployment;
  /** A folder of this pod's volumes (one subfolder per volume). */
  readonly root: string;
  readonly core: CoreV1Api;
  /** The apiserver as a pod sees it through KUBERNETES_SERVICE_HOST/PORT. */
  readonly apiserver: { host: string; port: number };
  /** Folders the image puts on PATH before /usr/local/bin:/usr/bin:/bin (helm, kustomize). */
  readonly imagePath: readonly string[];
}

export interface PodProcess {
  readonly name: string;
  readonly log: () => string;
  /** Resolves to an Error (with the log) when the process exits unexpectedly. */
  readonly died: Promise<Error>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const podSpec = (d: V1Deployment): V1PodSpec => {
  const spec = d.spec?.template.spec;
  if (!spec) throw new Error(`Deployment ${d.metadata?.name}: no pod template`);
  return spec;
};

/** The volumes of the pod, with the service-account volume the kubelet adds unless disabled. */
function podVolumes(spec: V1PodSpec): { volumes: V1Volume[]; automount: boolean } {
  const automount = spec.automountServiceAccountToken !== false;
  const volumes = [...(spec.volumes ?? [])];
  if (automount) {
    volumes.push({
      name: "kube-api-access",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
        ],
      },
    });
  }
  return { volumes, automount };
}

/** The mounts of `container`, with the automounted token added at its fixed path. */
function containerMounts(container: V1Container, automount: boolean): V1VolumeMount[] {
  const mounts = [...(container.volumeMounts ?? [])];
  if (automount && !mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_PATH)) {
    mounts.push({ name: "kube-api-access", mountPath: SERVICE_ACCOUNT_PATH, readOnly: true });
  }
  return mounts;
}

async function writeFiles(dir: string, files: Record<string, string | Buffer>, mode: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content, { mode });
    await fs.chmod(file, mode);
  }
}

/** Creates the folders of every volume of the pod (once per pod, shared by its containers). */
export async function preparePodVolumes(pod: PodContext): Promise<void> {
  const spec = podSpec(pod.deployment);
  const namespace = pod.deployment.metadata?.namespace ?? "default";
  const serviceAccount = spec.serviceAccountName ?? "default";
  await fs.mkdir(pod.root, { recursive: true });
  await fs.chmod(pod.root, 0o755);
  for (const volume of podVolumes(spec).volumes) {
    const dir = path.join(pod.root, volume.name);
    if (volume.emptyDir) {
      // The kubelet makes an emptyDir world-writable.
      await fs.mkdir(dir, { recursive: true });
      await fs.chmod(dir, 0o777);
    } else if (volume.projected) {
      const files: Record<string, string> = {};
      for (const source of volume.projected.sources ?? []) {
        if (source.serviceAccountToken) {
          const request = await pod.core.createNamespacedServiceAccountToken({
            name: serviceAccount,
            namespace,
            body: {
              spec: {
                audiences: [],
                expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3600,
              },
            },
          });
          files[source.serviceAccountToken.path] = request.status?.token ?? "";
        } else if (source.configMap) {
          const cm = await pod.core.readNamespacedConfigMap({ name: source.configMap.name ?? "", namespace });
          for (const item of source.configMap.items ?? []) files[item.path] = cm.data?.[item.key] ?? "";
        } else if (source.downwardAPI) {
          for (const item of source.downwardAPI.items ?? []) {
            if (item.fieldRef?.fieldPath !== "metadata.namespace")
              throw new Error(`${volume.name}: downwardAPI ${item.fieldRef?.fieldPath} is not emulated`);
            files[item.path] = namespace;
          }
        } else {
          throw new Error(
            `volume ${volume.name}: projected source ${JSON.stringify(source)} is not emulated`,
          );
        }
      }
      await writeFiles(dir, files, 0o644);
    } else if (volume.secret) {
      const secret = await pod.core.readNamespacedSecret({ name: volume.secret.secretName ?? "", namespace });
      const data = Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]),
      );
      await writeFiles(dir, data, volume.secret.defaultMode ?? 0o644);
    } else if (volume.configMap) {
      const cm = await pod.core.readNamespacedConfigMap({ name: volume.configMap.name ?? "", namespace });
      await writeFiles(dir, cm.data ?? {}, volume.configMap.defaultMode ?? 0o644);
    } else {
      throw new Error(`volume ${volume.name}: this source is not emulated (${JSON.stringify(volume)})`);
    }
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts `containerName` of the pod. The command is the image's entrypoint (`tether`), here the
 * project's source through tsx, with the container's args.
 */
export function startPodContainer(pod: PodContext, containerName: string): PodProcess {
  const spec = podSpec(pod.deployment);
  const container = spec.containers.find((c) => c.name === containerName);
  if (!container)
    throw new Error(`Deployment ${pod.deployment.metadata?.name}: no container ${containerName}`);
  // The downward API's pod name (the controller's replica id) is the one reference emulated.
  const podNameRef = (e: V1EnvVar) =>
    e.valueFrom?.fieldRef?.fieldPath === "metadata.name" && Object.keys(e.valueFrom).length === 1;
  if (container.envFrom || (container.env ?? []).some((e) => e.valueFrom && !podNameRef(e)))
    throw new Error(`${containerName}: only literal env and the pod name are emulated`);
  const podName = `${pod.deployment.metadata?.name ?? "pod"}-0`;
  const { automount } = podVolumes(spec);
  // Outer mounts first, so a nested mountPath lands inside its parent's volume, as the kubelet stacks them.
  const mounts = containerMounts(container, automount).sort(
    (a, b) => a.mountPath.length - b.mountPath.length,
  );
  // Every source is reached through staging mounts made first — the volumes' folders, the image's
  // content (this checkout as /app, the PATH folders): a container mounting a volume at /tmp would
  // otherwise hide every later source under /tmp (a clone in a temp folder, say).
  const stage = "/run/tether-pod";
  const app = `${stage}/app`;
  const bins = pod.imagePath.map((_, i) => `${stage}/bin${i}`);
  const staged: [string, string][] = [
    [pod.root, `${stage}/volumes`],
    [repoRoot, app],
    ...pod.imagePath.map((dir, i): [string, string] => [dir, bins[i] ?? ""]),
  ];
  const script = staged.flatMap(([from, to]) => [`mkdir -p ${to}`, `mount --bind ${shellQuote(from)} ${to}`]);
  script.push(
    ...mounts.flatMap((m) => {
      const source = path.join(stage, "volumes", m.name, m.subPath ?? "");
      const lines = [
        `mkdir -p ${shellQuote(m.mountPath)}`,
        `mount --bind ${shellQuote(source)} ${shellQuote(m.mountPath)}`,
      ];
      if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(m.mountPath)}`);
      return lines;
    }),
  );
  const uid = container.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const gid = container.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup ?? uid;
  const fsGroup = spec.securityContext?.fsGroup;
  // The image's entrypoint, `tether`: here the checkout's source through tsx, from /app.
  const command = [process.execPath, "--import", "tsx", `${app}/src/cli/main.ts`, ...(container.args ?? [])];
  const drop =
    isRoot && uid !== undefined
      ? [
          "setpriv",
          `--reuid=${uid}`,
          `--regid=${gid ?? uid}`,
          fsGroup !== undefined ? `--groups=${fsGroup}` : "--clear-groups",
          "--",
        ]
      : [];
  script.push(`cd ${app}`, `exec ${[...drop, ...command].map(shellQuote).join(" ")}`);
  const env: Record<string, string> = {
    PATH: [...bins, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: "/tmp",
    KUBERNETES_SERVICE_HOST: pod.apiserver.host,
    KUBERNETES_SERVICE_PORT: String(pod.apiserver.port),
    ...Object.fromEntries(
      (container.env ?? []).map((e) => [e.name, podNameRef(e) ? podName : (e.value ?? "")]),
    ),
  };
  // Root can make a mount namespace directly; anyone else through a user namespace (then the
  // process runs as the mapped root: the uid of the manifest is not reproduced).
  const unshare = isRoot
    ? ["--mount", "--propagation", "private"]
    : ["--user", "--map-root-user", "--mount", "--propagation", "private"];
  const child: ChildProcess = spawn("unshare", [...unshare, "/bin/sh", "-ec", script.join("\n")], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stopping = false;
  const name = `${pod.deployment.metadata?.name}/${containerName}`;
  return {
    name,
    log: () => log,
    died: exited.then((code) => new Error(stopping ? "stopped" : `${name} exited (${code}):\n${log}`)),
    /**
     * `signal`, then SIGKILL after the grace period, as the kubelet does (a hung process must not
     * hang the test: one that never ended once held a whole CI run). Resolves to the exit code
     * (null when it had to be killed).
     */
    async stop(signal = "SIGTERM", graceMs = 30_000) {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
