// Namespace health: Active is ready; Terminating waits for its contents to be deleted.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function namespaceHealth(obj: UnstructuredObject): HealthStatus {
  const phase = getString(obj, "status", "phase");
  if (phase === "Terminating") return health("Progressing", "Namespace is terminating");
  // A namespace with no phase yet (e.g. a dry-run result) is as good as Active: nothing to wait for.
  return health("Healthy");
}
