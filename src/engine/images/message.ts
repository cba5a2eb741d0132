// The commit message of an automation run, from spec.git.commit.messageTemplate. A small,
// explicit placeholder language (not Go templates): {{ automation }}, {{ changes }}, {{ images }},
// {{ files }}. An unknown placeholder is an error naming it, never silently empty. Pure.
import type { SetterChange } from "./setters.js";

export interface FileChanges {
  readonly file: string;
  readonly changes: readonly SetterChange[];
}

export const DEFAULT_MESSAGE_TEMPLATE = "Update images ({{ automation }})\n\n{{ changes }}\n";

const PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;

export function renderCommitMessage(
  template: string,
  automation: string,
  files: readonly FileChanges[],
): { ok: true; message: string } | { ok: false; error: string } {
  const lines = files.flatMap((f) =>
    f.changes.map((c) => `- ${f.file}:${c.line}: ${c.oldValue} -> ${c.newValue} (${c.policy})`),
  );
  const images = [...new Set(files.flatMap((f) => f.changes.map((c) => c.newValue)))].sort();
  const values: Record<string, string> = {
    automation,
    changes: lines.join("\n"),
    images: images.join(", "),
    files: files.map((f) => f.file).join(", "),
  };
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "").filter((n) => !(n in values));
  if (unknown.length > 0) {
    return {
      ok: false,
      error: `spec.git.commit.messageTemplate: unknown placeholder {{ ${unknown[0]} }} (use automation, changes, images, files)`,
    };
  }
  const message = template.replace(PLACEHOLDER, (_m, name: string) => values[name] ?? "");
  if (message.trim() === "")
    return { ok: false, error: "spec.git.commit.messageTemplate renders an empty message" };
  return { ok: true, message };
}
