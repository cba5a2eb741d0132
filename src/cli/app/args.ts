// Parsing of `tether app` arguments that are more than a flag: durations, resource selectors,
// history ids, output formats. Pure; a mistake is a UsageError (exit 2).
import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";
import { durationFlag } from "../flags.js";
import type { Output } from "./format.js";
import { OUTPUTS } from "./format.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command takes: how to reach Tether. */
export const GLOBAL_OPTIONS = {
  server: { type: "string" },
  token: { type: "string" },
  core: { type: "boolean" },
  kubeconfig: { type: "string" },
  "app-namespace": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** node:util parseArgs, strict, with its errors as UsageError. */
export function parse<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? String(error));
  }
}

export function parseOutput(value: string | undefined): Output {
  const output = value ?? "table";
  if (!(OUTPUTS as readonly string[]).includes(output)) {
    throw new UsageError(`--output must be one of ${OUTPUTS.join(", ")}, not "${output}"`);
  }
  return output as Output;
}

/** `90s`, `5m`, `1h30m`, `500ms`, or a bare number of seconds → milliseconds (`--timeout`). */
export function parseDuration(text: string, flag = "--timeout"): number {
  return durationFlag(flag, text);
}

/** `--resource GROUP/KIND/NAMESPACE/NAME`; GROUP is empty for the core group, NAMESPACE for cluster-scoped. */
export function parseResource(text: string): {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
} {
  const parts = text.split("/");
  const [group, kind, namespace, name] = parts;
  if (parts.length !== 4 || !kind || !name || group === undefined || namespace === undefined) {
    throw new UsageError(
      `--resource "${text}": expected GROUP/KIND/NAMESPACE/NAME (e.g. apps/Deployment/web/nginx, /ConfigMap/web/settings)`,
    );
  }
  return { group, kind, ...(namespace ? { namespace } : {}), name };
}

export function parseHistoryId(text: string | undefined): number | "cancel" {
  if (text === "cancel") return "cancel";
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new UsageError(
      `rollback needs a history id (a number from \`tether app history\`) or "cancel", not "${text ?? ""}"`,
    );
  }
  return Number(text);
}

export function parseBool(flag: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new UsageError(`--${flag} must be true or false, not "${text}"`);
}

/** Exactly `count` positionals, named for the message. */
export function positionals(values: string[], names: string[]): string[] {
  if (values.length !== names.length) {
    throw new UsageError(
      `expected ${names.map((n) => n.toUpperCase()).join(" ") || "no arguments"}, got ${values.length ? values.map((v) => `"${v}"`).join(" ") : "none"}`,
    );
  }
  return values;
}
