// Wakes the apps that depend on an app when its readiness for them changes (it became Synced and
// Healthy, stopped being so, appeared, vanished, or its spec moved on), so a dependent proceeds as
// soon as its dependency is ready instead of at its next poll. Driven by every Application event,
// status updates included; only a change of readiness wakes anyone, so status churn costs nothing.
import type { Application } from "../model/application.js";
import { dependencyKeys, dependencyState } from "../engine/policy/dependencies.js";

export class DependentsNotifier {
  private readonly readiness = new Map<string, string>();

  constructor(
    private readonly apps: { keys(): string[]; get(key: string): Application | undefined },
    private readonly wake: (key: string) => void,
  ) {}

  observed(key: string, app: Application | undefined): void {
    const state = app
      ? (dependencyState({ dependsOn: [], sync: app.status?.sync?.status, health: app.status?.health?.status, generation: app.metadata.generation, observedGeneration: app.status?.observedGeneration }) ?? "ready") // prettier-ignore
      : "not found";
    if (this.readiness.get(key) === state) return;
    if (app) this.readiness.set(key, state);
    else this.readiness.delete(key);
    for (const other of this.apps.keys()) {
      const a = this.apps.get(other);
      if (a && dependencyKeys(a.metadata.namespace ?? "", a.spec?.dependsOn).includes(key)) this.wake(other);
    }
  }
}
