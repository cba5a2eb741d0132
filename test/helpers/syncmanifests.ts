// Manifests for sync-wave and hook tests, and a "gate" that holds pods Pending until a test opens
// it: a nodeSelector on a node label only the test sets. kwok runs pods on the fake node and
// completes Job pods; its stage delays are read from the pod's annotations, so a hook can finish
// at once or never (then activeDeadlineSeconds fails its Job deterministically).
import { clients, uniqueName } from "./environment.js";

const NODE = "kwok-node-0";

export interface Gate {
  readonly selector: string;
  open(): Promise<void>;
  close(): Promise<void>;
}

export function gate(prefix: string): Gate {
  const key = `tether.dev/test-gate-${uniqueName(prefix).slice(-24)}`;
  const path = `/metadata/labels/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  const patch = (op: object) => clients().core.patchNode({ name: NODE, body: [op] });
  return {
    selector: `nodeSelector: {${JSON.stringify(key)}: "open"}`,
    open: () => patch({ op: "add", path, value: "open" }).then(() => undefined),
    close: () =>
      patch({ op: "remove", path }).then(
        () => undefined,
        () => undefined,
      ),
  };
}

interface JobOptions {
  readonly hook?: string;
  readonly deletePolicy?: string;
  readonly wave?: number;
  /** Never completes; the Job fails after 1 s (activeDeadlineSeconds). */
  readonly fails?: boolean;
  readonly gate?: Gate;
}

export function job(name: string, options: JobOptions = {}): string {
  const annotations = [
    options.hook ? `tether.dev/hook: ${options.hook}` : "",
    options.deletePolicy ? `tether.dev/hook-delete-policy: ${options.deletePolicy}` : "",
    options.wave !== undefined ? `tether.dev/sync-wave: "${options.wave}"` : "",
  ].filter(Boolean);
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
${annotations.length ? `  annotations:\n${annotations.map((a) => `    ${a}`).join("\n")}\n` : ""}spec:
  backoffLimit: 0
${options.fails ? "  activeDeadlineSeconds: 1\n" : ""}  template:
    metadata:
      annotations:
        pod-complete.stage.kwok.x-k8s.io/delay: "${options.fails ? "1h" : "0s"}"
        pod-complete.stage.kwok.x-k8s.io/jitter-delay: "0s"
    spec:
      restartPolicy: Never
      ${options.gate ? options.gate.selector : "nodeSelector: {}"}
      containers:
        - name: main
          image: busybox:1.36
`;
}

export function gatedDeployment(
  name: string,
  image: string,
  options: { gate?: Gate; wave?: number } = {},
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${options.wave !== undefined ? `  annotations:\n    tether.dev/sync-wave: "${options.wave}"\n` : ""}spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      ${options.gate ? options.gate.selector : "nodeSelector: {}"}
      containers:
        - name: main
          image: ${image}
`;
}
