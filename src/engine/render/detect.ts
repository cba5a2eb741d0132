// Which renderer a source gets. Pure: decided from the app folder's file names.
import type { ApplicationSource, SourceType } from "../../model/application.js";

/** The names kustomize itself accepts for a kustomization, in its own lookup order. */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

export function detectSourceType(source: ApplicationSource, fileNames: readonly string[]): SourceType {
  if (source.type) return source.type;
  // A chart from a Helm repository has no folder to look at.
  if (source.chart) return "Helm";
  const names = new Set(fileNames);
  if (KUSTOMIZATION_FILES.some((name) => names.has(name))) return "Kustomize";
  if (names.has("Chart.yaml")) return "Helm";
  return "Directory";
}
