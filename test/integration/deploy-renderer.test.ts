// The pod of deploy/ without a container runtime: the `renderer` and `controller` containers are
// started as processes with exactly their args and env from `kustomize build deploy/`, as their
// securityContext's uid (when the test runs as root), with each volume a folder and each mount path
// mapped onto it (nested mounts as links, as the kubelet stacks them) — the emulated kubelet adds
// only the image's PATH and the controller's credentials (a kubeconfig instead of the token volume,
// which cannot be placed at its fixed path here). The controller renders a Helm chart and a
// directory through the renderer's socket and syncs both; the renderer refuses to start when its
// environment holds a credential.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { V1Container, V1Deployment, V1EnvVar } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { loaderArgs } from "../../src/engine/render/remote/child.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { runController } from "../helpers/controllerprocess.js";
import { clients, installCrds, testEnv, testNamespace } from "../helpers/environment.js";
import { chart, cm } from "../helpers/render.js";

const run = promisify(execFile);
const GROUP = { group: "tether.dev", version: "v1alpha1", plural: "applications" };
const isRoot = process.getuid?.() === 0;

/** Folders for a pod's volumes, and each container's paths mapped onto them. */
class EmulatedPod {
  constructor(
    readonly root: string,
    private readonly containers: readonly V1Container[],
  ) {}

  volume(name: string): string {
    return path.join(this.root, "volumes", name);
  }

  /** The host path of `p` as `container` sees it: under its deepest mount containing it. */
  hostPath(container: V1Container, p: string): string {
    const mounts = (container.volumeMounts ?? []).filter(
      (m) => p === m.mountPath || p.startsWith(`${m.mountPath}/`),
    );
    const deepest = mounts.sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    return deepest ? path.join(this.volume(deepest.name), path.relative(deepest.mountPath, p)) : p;
  }

  args(container: V1Container): string[] {
    return (container.args ?? []).map((a) => (a.startsWith("/") ? this.hostPath(container, a) : a));
  }

  /** Literal values, and the pod's name (the controller's replica id) as the downward API gives it. */
  env(container: V1Container, podName = "tether-controller-emulated"): Record<string, string> {
    const podNameRef = (e: V1EnvVar) =>
      e.valueFrom?.fieldRef?.fieldPath === "metadata.name" && Object.keys(e.valueFrom).length === 1;
    assert.ok(
      !container.envFrom && !(container.env ?? []).some((e) => e.valueFrom && !podNameRef(e)),
      `${container.name}: literal env and the pod name only`,
    );
    return Object.fromEntries(
      (container.env ?? []).map((e) => [e.name, podNameRef(e) ? podName : (e.value ?? "")]),
    );
  }

  async create(volumes: readonly string[]): Promise<void> {
    await fs.chmod(this.root, 0o755);
    // An emptyDir is world-writable (0777), as the kubelet makes it.
    for (const name of volumes) {
      await fs.mkdir(this.volume(name), { recursive: true });
      await fs.chmod(this.volume(name), 0o777);
    }
    for (const container of this.containers) {
      for (const inner of container.volumeMounts ?? []) {
        const outer = (container.volumeMounts ?? []).filter(
          (m) => m !== inner && inner.mountPath.startsWith(`${m.mountPath}/`),
        );
        if (outer.length === 0) continue;
        const at = this.hostPath({ ...container, volumeMounts: outer }, inner.mountPath);
        if (!(await fs.lstat(at).catch(() => undefined))) await fs.symlink(this.volume(inner.name), at);
      }
    }
  }
}

interface Started {
  readonly child: ChildProcess;
  readonly log: () => string;
  readonly exited: Promise<number | null>;
}

function startProcess(
  args: string[],
  options: { env: Record<string, string>; cwd: string; uid?: number; gid?: number },
): Started {
  const child = spawn(
    process.execPath,
    [...loaderArgs(["--import", "tsx"], repoRoot), path.join(repoRoot, "src/cli/main.ts"), ...args],
    {
      ...options,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, log: () => log, exited };
}

describe("deploy/: the renderer and controller containers, started as the manifest says", () => {
  let pod: EmulatedPod;
  let controllerSpec: V1Container;
  let rendererSpec: V1Container;
  let rendererUid: { uid?: number; gid?: number } = {};
  let imagePath = "";
  let git: GitServer;
  let gitRoot = "";
  let ws: GitWorkspace;
  let url = "";

  before(async () => {
    await installCrds();
    const kustomize = await ensureComponent("kustomize");
    const helm = await ensureComponent("helm");
    const { stdout } = await run(kustomize, ["build", path.join(repoRoot, "deploy")]);
    const deployment = parseAllDocuments(stdout)
      .map((d) => d.toJS() as V1Deployment)
      .find((o) => o.kind === "Deployment" && o.metadata?.name === "tether-controller");
    const spec = deployment?.spec?.template.spec;
    assert.ok(spec, "deploy/ has the Deployment");
    const byName = (name: string) => spec.containers.find((c) => c.name === name);
    controllerSpec = byName("controller") as V1Container;
    rendererSpec = byName("renderer") as V1Container;
    assert.ok(controllerSpec && rendererSpec);
    pod = new EmulatedPod(await fs.mkdtemp(path.join(os.tmpdir(), "tether-pod-")), [
      controllerSpec,
      rendererSpec,
    ]);
    await pod.create((spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    const uid = rendererSpec.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
    const gid = rendererSpec.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup;
    if (isRoot) rendererUid = { uid, gid };
    // The image puts helm and kustomize on PATH (hard links: the local build is in root's 0700 HOME).
    imagePath = path.join(pod.root, "image-bin");
    await fs.mkdir(imagePath);
    for (const [name, file] of [
      ["helm", helm],
      ["kustomize", kustomize],
    ] as const) {
      await fs
        .link(file, path.join(imagePath, name))
        .catch(() => fs.copyFile(file, path.join(imagePath, name)));
      await fs.chmod(path.join(imagePath, name), 0o755);
    }

    gitRoot = await fs.mkdtemp(path.join(os.tmpdir(), "tether-pod-git-"));
    git = await startGitServer({ root: gitRoot });
    url = await git.createRepository("pod");
    ws = await GitWorkspace.clone(url);
    await ws.commitAndPush(
      {
        "chart/Chart.yaml": chart("podchart"),
        "chart/values.yaml": "greeting: hello from helm\n",
        "chart/templates/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-chart\ndata:\n  greeting: {{ .Values.greeting | quote }}\n`,
        "plain/cm.yaml": cm("plain"),
      },
      "a chart and a directory",
    );
  });

  after(async () => {
    await git?.close();
    await ws?.remove();
    await fs.rm(gitRoot, { recursive: true, force: true });
    await fs.rm(pod.root, { recursive: true, force: true });
  });

  const rendererEnv = () => {
    const tmp = pod.hostPath(rendererSpec, "/tmp");
    return {
      ...pod.env(rendererSpec),
      PATH: `${imagePath}:/usr/local/bin:/usr/bin:/bin`,
      HOME: tmp,
      TMPDIR: tmp,
    };
  };

  test("the controller syncs a Helm chart and a directory rendered by the renderer container", async (t) => {
    const renderer = startProcess(pod.args(rendererSpec), {
      env: rendererEnv(),
      cwd: pod.hostPath(rendererSpec, "/tmp"),
      ...rendererUid,
    });
    t.after(async () => {
      renderer.child.kill("SIGTERM");
      await renderer.exited;
    });
    const died = (what: string, p: Promise<number | null>, log: () => string) =>
      p.then((code) => new Error(`${what} exited (${code}):\n${log()}`));
    await waitFor("the renderer listens", () => /^listening on /m.test(renderer.log()), {
      timeoutMs: 60_000,
      abort: died("the renderer", renderer.exited, renderer.log),
    });
    if (rendererUid.uid !== undefined) {
      const status = await fs.readFile(`/proc/${renderer.child.pid ?? 0}/status`, "utf8");
      assert.match(
        status,
        new RegExp(`^Uid:\\s+${rendererUid.uid}\\s`, "m"),
        "the renderer runs as its container's uid",
      );
    }

    const appNs = await testNamespace(t, "pod-apps");
    const destination = await testNamespace(t, "pod-dest");
    const systemNamespace = await testNamespace(t, "pod-system");
    const tmp = pod.hostPath(controllerSpec, "/tmp");
    // The manifest's args and env; the emulated kubelet's credentials (a kubeconfig, not the token
    // volume) and this test's namespaces.
    const [command, ...controllerArgs] = pod.args(controllerSpec);
    assert.equal(command, "controller");
    const controller = runController(
      [
        ...controllerArgs,
        "--kubeconfig",
        testEnv.kubeconfig,
        "--namespace",
        appNs,
        "--system-namespace",
        systemNamespace,
        "--poll-interval",
        "3s",
      ],
      {
        env: {
          ...pod.env(controllerSpec),
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          HOME: tmp,
          TMPDIR: tmp,
        },
      },
    );
    t.after(() => controller.stop());
    for (const [name, p] of [
      ["chart", "chart"],
      ["plain", "plain"],
    ]) {
      await clients().custom.createNamespacedCustomObject({
        ...GROUP,
        namespace: appNs,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name, namespace: appNs },
          spec: {
            source: { repoURL: url, targetRevision: "main", path: p },
            destination: { server: "https://kubernetes.default.svc", namespace: destination },
            syncPolicy: { automated: { prune: true } },
          },
        },
      });
    }
    const abort = Promise.race([controller.died, died("the renderer", renderer.exited, renderer.log)]);
    for (const name of ["chart", "plain"]) {
      await waitFor(
        `${name} Synced`,
        async () => {
          const app = (await clients().custom.getNamespacedCustomObject({
            ...GROUP,
            namespace: appNs,
            name,
          })) as Application;
          return app.status?.sync?.status === "Synced" && app.status.health?.status === "Healthy";
        },
        { timeoutMs: 120_000, abort },
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}\ncontroller:\n${controller.stderr()}\nrenderer:\n${renderer.log()}`,
        );
      });
    }
    const chartMap = await clients().core.readNamespacedConfigMap({
      name: "chart-chart",
      namespace: destination,
    });
    assert.equal(chartMap.data?.["greeting"], "hello from helm");
    await clients().core.readNamespacedConfigMap({ name: "plain", namespace: destination });
    assert.match(
      controller.stderr(),
      /renderer \/.*renderer\.sock/,
      "the controller used the renderer's socket",
    );
    assert.doesNotMatch(controller.stderr(), /renderer process/, "the controller started no child renderer");
    assert.equal(await controller.stop(), 0, controller.stderr());
  });

  test("the renderer refuses to start with a credential in its environment", async () => {
    const args = pod.args(rendererSpec).map((a) => (a.endsWith(".sock") ? `${a}.refused` : a));
    const extras: Record<string, string>[] = [{ KUBECONFIG: testEnv.kubeconfig }, { GITHUB_TOKEN: "ghp_x" }];
    for (const extra of extras) {
      const refused = startProcess(args, {
        env: { ...rendererEnv(), ...extra },
        cwd: pod.hostPath(rendererSpec, "/tmp"),
        ...rendererUid,
      });
      assert.equal(await refused.exited, 1, refused.log());
      assert.match(
        refused.log(),
        new RegExp(
          `refusing to render with cluster credentials at hand \\(environment variable ${Object.keys(extra)[0]}\\)`,
        ),
      );
      assert.doesNotMatch(refused.log(), /listening on/);
    }
  });
});
