// CustomResourceDefinition health. gitops-engine has no built-in check (Argo CD ships a Lua one);
// this follows the same conditions: a CRD is usable once Established, and broken when its names
// clash with another CRD (NamesAccepted=False) or its schema is rejected as non-structural.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function crdHealth(obj: UnstructuredObject): HealthStatus {
  const namesAccepted = findCondition(obj, "NamesAccepted");
  if (namesAccepted?.status === "False") return health("Degraded", namesAccepted.message);
  const nonStructural = findCondition(obj, "NonStructuralSchema");
  if (nonStructural?.status === "True") return health("Degraded", nonStructural.message);
  const established = findCondition(obj, "Established");
  if (established?.status === "True") return health("Healthy");
  return health("Progressing", established?.message || "Waiting for the CRD to be established");
}
