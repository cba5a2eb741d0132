// The built-in policy pack: the rules a project gets with `spec.policy.rules: [builtin]`. Each is
// plain CEL over the variables of docs/policy.md, so a rule here reads exactly like a custom one:
//   object      the rendered object, as Tether would apply it (namespace and ownership marks set)
//   podSpec     the pod template's spec for workload kinds (Pod, Deployment, …, CronJob), else {}
//   containers  podSpec's containers, initContainers and ephemeralContainers, in that order
//   settings    {trustedRegistries, enforcement} from the project's spec.policy
//   app         {name, namespace, project}
// `rule` is true when the object is allowed. Each rule's predicate over one container is written
// once below and used both by `rule` (no container may match) and by `messageExpression` (which
// containers did), so the two can never disagree.
import type { PolicyMatch, PolicyRuleSpec } from "../../model/policy.js";

/** The kinds whose pod template the gate unpacks into `podSpec` and `containers`. */
export const WORKLOADS: Required<PolicyMatch> = {
  groups: ["", "apps", "batch"],
  kinds: [
    "Pod",
    "ReplicationController",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
  ],
};

// A container may run as root unless it (or its pod) sets runAsNonRoot: true or a non-zero
// runAsUser; an explicit runAsUser: 0 is root whatever runAsNonRoot says. The container's
// securityContext wins over the pod's, as in Kubernetes.
const RUNS_AS_ROOT = `cel.bind(user, c.?securityContext.?runAsUser.orValue(podSpec.?securityContext.?runAsUser.orValue(-1)),
  cel.bind(nonRoot, c.?securityContext.?runAsNonRoot.orValue(podSpec.?securityContext.?runAsNonRoot.orValue(false)),
    user == 0 || (user < 0 && !nonRoot)))`;

const NO_LIMITS = `!c.?resources.?limits.?cpu.hasValue() || !c.?resources.?limits.?memory.hasValue()`;

// An image's full reference: Docker Hub is the registry when the first path segment names no host
// (no "." or ":" and not "localhost"), and its official images live under library/.
const IMAGE_REF = `(c.?image.orValue("").matches("^[^/]*[.:][^/]*/") || c.?image.orValue("").startsWith("localhost/")
  ? c.?image.orValue("")
  : "docker.io/" + (c.?image.orValue("").contains("/") ? "" : "library/") + c.?image.orValue(""))`;

// A trusted entry is a registry (`ghcr.io`) or a registry and path (`ghcr.io/acme`): it covers the
// images under it, never a sibling that merely starts with the same letters (`ghcr.io/acme-evil`).
const UNTRUSTED = `!cel.bind(ref, ${IMAGE_REF}, settings.trustedRegistries.exists(r, ref.startsWith(r + "/")))`;

// `latest`, or no tag at all (which pulls latest). A digest (`@sha256:…`) pins the image whatever
// the tag says. A `:` before the last `/` is a registry port, not a tag.
const FLOATING_TAG = `!c.?image.orValue("").contains("@") && (!c.?image.orValue("").matches(":[^/:]+$") || c.?image.orValue("").endsWith(":latest"))`;

const names = (predicate: string) => `containers.map(c, ${predicate}, c.name).join(", ")`;
const images = (predicate: string) =>
  `containers.map(c, ${predicate}, c.?image.orValue("(no image)")).join(", ")`;

export const BUILTIN_RULES: readonly PolicyRuleSpec[] = [
  {
    id: "no-root-containers",
    description: "Every container (init and ephemeral too) runs as a non-root user",
    match: WORKLOADS,
    rule: `containers.all(c, !(${RUNS_AS_ROOT}))`,
    messageExpression: `"container(s) " + ${names(RUNS_AS_ROOT)} + " may run as root: set securityContext.runAsNonRoot: true or a non-zero runAsUser (pod or container)"`,
  },
  {
    id: "resource-limits",
    description: "Every container sets CPU and memory limits",
    match: WORKLOADS,
    rule: `containers.all(c, !(${NO_LIMITS}))`,
    messageExpression: `"container(s) " + ${names(NO_LIMITS)} + " must set resources.limits.cpu and resources.limits.memory"`,
  },
  {
    id: "trusted-registries",
    description: "Every image comes from a registry listed in spec.policy.trustedRegistries",
    match: WORKLOADS,
    rule: `containers.all(c, !(${UNTRUSTED}))`,
    messageExpression: `"image(s) " + ${images(UNTRUSTED)} + " not from a trusted registry (" + (size(settings.trustedRegistries) == 0 ? "spec.policy.trustedRegistries is empty" : "trusted: " + settings.trustedRegistries.join(", ")) + ")"`,
  },
  {
    id: "no-latest-tag",
    description: "Every image is pinned: a tag other than latest, or a digest",
    match: WORKLOADS,
    rule: `containers.all(c, !(${FLOATING_TAG}))`,
    messageExpression: `"image(s) " + ${images(FLOATING_TAG)} + " use the tag latest or no tag: pin a version or a digest"`,
  },
  {
    id: "no-wildcard-ingress-hosts",
    description:
      "Every Ingress rule names one host: no `*` wildcard and no empty host (which catches every host)",
    match: { groups: ["networking.k8s.io", "extensions"], kinds: ["Ingress"] },
    rule: `object.?spec.?rules.orValue([]).all(r, r.?host.orValue("") != "" && !r.?host.orValue("").contains("*"))`,
    messageExpression: `"host(s) " + object.?spec.?rules.orValue([]).map(r, r.?host.orValue("") == "" || r.?host.orValue("").contains("*"), r.?host.orValue("") == "" ? "(empty: every host)" : r.?host.orValue("")).join(", ") + " in spec.rules: name each host exactly"`,
  },
];

export const BUILTIN_IDS: readonly string[] = BUILTIN_RULES.map((r) => r.id);
