// The template values of one transition, read from the app as the reconcile left it. Pure.
import type { Application } from "../../model/application.js";
import type { TriggerName } from "./config.js";
import type { TemplateValues } from "./template.js";

const STATUS_WORD: Readonly<Record<TriggerName, string>> = {
  "sync-succeeded": "Succeeded",
  "sync-failed": "Failed",
  "health-degraded": "Degraded",
  "drift-corrected": "Corrected",
};

/** The commit a transition is about: the sync operation's for sync triggers, else the synced one. */
export function revisionOf(app: Application, trigger: TriggerName | undefined): string {
  const status = app.status ?? {};
  const op = trigger && trigger !== "health-degraded" ? status.operationState?.revision : undefined;
  return op ?? status.sync?.revision ?? "";
}

export function templateValues(app: Application, trigger: TriggerName, detail: string): TemplateValues {
  const status = app.status ?? {};
  const revision = revisionOf(app, trigger);
  const info =
    status.revisionInfo?.revision === revision
      ? status.revisionInfo
      : status.history?.find((h) => h.revision === revision);
  return {
    app: app.metadata.name,
    namespace: app.metadata.namespace ?? "",
    project: app.spec?.project || "default",
    revision,
    author: info?.author ?? "",
    // The subject line: bodies can be long and are not what a chat message needs.
    message: (info?.message ?? "").split("\n")[0] ?? "",
    status:
      trigger === "health-degraded" ? (status.health?.status ?? STATUS_WORD[trigger]) : STATUS_WORD[trigger],
    detail,
    trigger,
  };
}
