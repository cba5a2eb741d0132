// The application form's inputs and the request field each one edits. Pure: an API error's
// `field` (e.g. spec.source.repoURL) is matched to the input that shows it.
export interface Values {
  name: string;
  namespace: string;
  project: string;
  labels: string;
  repoURL: string;
  targetRevision: string;
  path: string;
  server: string;
  destNamespace: string;
  automated: boolean;
  prune: boolean;
  selfHeal: boolean;
  createNamespace: boolean;
}

/** The request field each input edits: an API error naming it (or a field inside it) lands there. */
export const FIELD: Record<keyof Values, string> = {
  name: "metadata.name",
  namespace: "metadata.namespace",
  project: "spec.project",
  labels: "metadata.labels",
  repoURL: "spec.source.repoURL",
  targetRevision: "spec.source.targetRevision",
  path: "spec.source.path",
  server: "spec.destination.server",
  destNamespace: "spec.destination.namespace",
  automated: "spec.syncPolicy.automated",
  prune: "spec.syncPolicy.automated.prune",
  selfHeal: "spec.syncPolicy.automated.selfHeal",
  createNamespace: "spec.syncPolicy.syncOptions",
};

export function inputForField(field: string | undefined): keyof Values | undefined {
  if (!field) return undefined;
  let best: keyof Values | undefined;
  for (const [key, path] of Object.entries(FIELD) as [keyof Values, string][]) {
    if (
      (field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`)) &&
      (!best || path.length > FIELD[best].length)
    )
      best = key;
  }
  return best;
}
