// syncPolicy.syncOptions as a typed value ("CreateNamespace=true" → createNamespace: true).
import type { SyncPolicy } from "../../model/application.js";

export interface SyncOptions {
  readonly createNamespace: boolean;
  readonly pruneLast: boolean;
  readonly serverSideApply: boolean;
  readonly applyOutOfSyncOnly: boolean;
  readonly force: boolean;
  /** Create/replace instead of server-side apply (also per resource: `tether.dev/sync-options: Replace=true`). */
  readonly replace: boolean;
  /** How pruned objects are deleted: their dependents first (foreground), after (background), or kept (orphan). */
  readonly prunePropagationPolicy: "Foreground" | "Background" | "Orphan";
  /** RespectIgnoreDifferences=true: a sync keeps the live value of every ignored field. */
  readonly respectIgnoreDifferences: boolean;
}

const KNOWN = new Set([
  "CreateNamespace",
  "PruneLast",
  "ServerSideApply",
  "ApplyOutOfSyncOnly",
  "Force",
  "Replace",
  "Validate",
  "PrunePropagationPolicy",
  "RespectIgnoreDifferences",
]);

const PROPAGATION = { foreground: "Foreground", background: "Background", orphan: "Orphan" } as const;

function propagation(value: string | undefined, errors: string[]): SyncOptions["prunePropagationPolicy"] {
  if (value === undefined) return "Foreground";
  const known = PROPAGATION[value as keyof typeof PROPAGATION];
  if (!known)
    errors.push(
      `spec.syncPolicy.syncOptions PrunePropagationPolicy="${value}": expected foreground, background or orphan`,
    );
  return known ?? "Foreground";
}

/** Parses the options; returns the typed value and a message per entry it cannot read. */
export function parseSyncOptions(policy: SyncPolicy | undefined): { options: SyncOptions; errors: string[] } {
  const flags = new Map<string, string>();
  const errors: string[] = [];
  (policy?.syncOptions ?? []).forEach((entry, index) => {
    const match = /^([A-Za-z]+)=(.*)$/.exec(entry);
    if (!match || !KNOWN.has(match[1] ?? "")) {
      errors.push(
        `spec.syncPolicy.syncOptions[${index}] "${entry}": expected one of ${[...KNOWN].join(", ")} as Name=value`,
      );
      return;
    }
    flags.set(match[1] ?? "", (match[2] ?? "").toLowerCase());
  });
  const on = (name: string, fallback: boolean) => (flags.has(name) ? flags.get(name) === "true" : fallback);
  return {
    options: {
      createNamespace: on("CreateNamespace", false),
      pruneLast: on("PruneLast", false),
      // Server-side apply is how Tether applies; "ServerSideApply=false" is accepted and ignored.
      serverSideApply: true,
      applyOutOfSyncOnly: on("ApplyOutOfSyncOnly", true),
      force: on("Force", false),
      replace: on("Replace", false),
      prunePropagationPolicy: propagation(flags.get("PrunePropagationPolicy"), errors),
      respectIgnoreDifferences: on("RespectIgnoreDifferences", false),
    },
    errors,
  };
}
