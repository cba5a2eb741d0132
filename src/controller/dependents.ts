// Wakes the apps that depend on an app when its readiness for them changes (it became Synced and
// Healthy, stopped being so, appeared, vanished, or its spec moved on), so a dependent proceeds as
// soon as its dependency is ready instead of at its next poll. Driven by every Application event,
// status updates included; only a change of readiness wakes anyone, so status churn costs nothing.
// Who depends on whom is indexed as apps are seen, so a change costs its dependents, not a scan of
// every app (a thousand apps settling would otherwise be a million dependsOn parses).
import type { Application } from "../model/application.js";
import { dependencyKeys, dependencyState } from "../engine/policy/dependencies.js";

export class DependentsNotifier {
  private readonly readiness = new Map<string, string>();
  /** app → the apps it depends on, as last seen. */
  private readonly dependsOn = new Map<string, readonly string[]>();
  /** app → the apps that depend on it. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(private readonly wake: (key: string) => void) {}

  observed(key: string, app: Application | undefined): void {
    this.index(key, app ? dependencyKeys(app.metadata.namespace ?? "", app.spec?.dependsOn) : []);
    const state = app
      ? (dependencyState({
          dependsOn: [],
          sync: app.status?.sync?.status,
          health: app.status?.health?.status,
          generation: app.metadata.generation,
          observedGeneration: app.status?.observedGeneration,
        }) ?? "ready")
      : "not found";
    if (this.readiness.get(key) === state) return;
    if (app) this.readiness.set(key, state);
    else this.readiness.delete(key);
    for (const other of this.dependents.get(key) ?? []) this.wake(other);
  }

  private index(key: string, dependencies: readonly string[]): void {
    const before = this.dependsOn.get(key) ?? [];
    if (before.length === dependencies.length && before.every((d, i) => d === dependencies[i])) return;
    for (const dependency of before) {
      const set = this.dependents.get(dependency);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(dependency);
    }
    for (const dependency of dependencies) {
      let set = this.dependents.get(dependency);
      if (!set) this.dependents.set(dependency, (set = new Set()));
      set.add(key);
    }
    if (dependencies.length > 0) this.dependsOn.set(key, dependencies);
    else this.dependsOn.delete(key);
  }
}
