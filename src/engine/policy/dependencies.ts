// spec.dependsOn between Applications, as Flux's Kustomization dependsOn: an app syncs only once
// every dependency is Synced and Healthy at its current spec; a dependency that does not exist is
// named; a cycle through the app (including an app depending on itself) is refused, naming it.
// Pure: the other apps are read through `lookup` (the controller's Application cache).

export interface DependencyNode {
  /** `namespace/name` of each app this one depends on. */
  readonly dependsOn: readonly string[];
  readonly sync?: string;
  readonly health?: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
}

export type DependencyVerdict =
  | { readonly kind: "ready" }
  | {
      readonly kind: "waiting";
      readonly blockers: readonly { key: string; state: string }[];
      readonly message: string;
    }
  | { readonly kind: "cycle"; readonly cycle: readonly string[]; readonly message: string };

/** The keys an app's dependsOn names; a dependency without a namespace is in the app's own. */
export function dependencyKeys(
  appNamespace: string,
  dependsOn: readonly { name: string; namespace?: string }[] | undefined,
): string[] {
  return [...new Set((dependsOn ?? []).map((d) => `${d.namespace || appNamespace}/${d.name}`))];
}

/** A path key → … → key through dependsOn, if there is one (depth-first, each node once). */
export function findCycle(
  key: string,
  lookup: (key: string) => DependencyNode | undefined,
): string[] | undefined {
  const visited = new Set<string>();
  const path: string[] = [key];
  const visit = (node: string): boolean => {
    for (const next of lookup(node)?.dependsOn ?? []) {
      if (next === key) {
        path.push(next);
        return true;
      }
      if (visited.has(next)) continue;
      visited.add(next);
      path.push(next);
      if (visit(next)) return true;
      path.pop();
    }
    return false;
  };
  return visit(key) ? path : undefined;
}

/** Why a dependency is not ready yet, or undefined when it is. */
export function dependencyState(node: DependencyNode | undefined): string | undefined {
  if (!node) return "not found";
  const sync = node.sync ?? "Unknown";
  const health = node.health ?? "Unknown";
  if (node.observedGeneration !== node.generation)
    return `${sync}/${health}, not yet reconciled at its current spec`;
  return sync === "Synced" && health === "Healthy" ? undefined : `${sync}/${health}`;
}

export function evaluateDependencies(
  key: string,
  lookup: (key: string) => DependencyNode | undefined,
): DependencyVerdict {
  const deps = lookup(key)?.dependsOn ?? [];
  if (deps.length === 0) return { kind: "ready" };
  const cycle = findCycle(key, lookup);
  if (cycle) {
    return {
      kind: "cycle",
      cycle,
      message: `spec.dependsOn forms a cycle: ${cycle.join(" → ")}; nothing is synced until it is broken`,
    };
  }
  const blockers = deps.flatMap((dep) => {
    const state = dependencyState(lookup(dep));
    return state ? [{ key: dep, state }] : [];
  });
  if (blockers.length === 0) return { kind: "ready" };
  return {
    kind: "waiting",
    blockers,
    message: `waiting for ${blockers.map((b) => `${b.key} (${b.state})`).join(", ")} to be Synced and Healthy`,
  };
}
