// The `tether-notifications` ConfigMap, parsed and validated. Pure: the ConfigMap's `data` comes in
// as a plain record; out come the usable parts and one error per problem, each naming the key and
// the field. A broken entry is skipped, the rest keeps working (one typo must not silence every
// alert).
import type { Requirement } from "./selector.js";
import { parseYamlBounded } from "../../engine/yaml-input.js";
import { parseSelector } from "./selector.js";
import { MAX_TEMPLATE_LENGTH, PLACEHOLDERS, unknownPlaceholders } from "./template.js";
import { errorMessage } from "../../lib/errormessage.js";

export const NOTIFICATIONS_CONFIGMAP = "tether-notifications";

export const TRIGGERS = ["sync-succeeded", "sync-failed", "health-degraded", "drift-corrected"] as const;
export type TriggerName = (typeof TRIGGERS)[number];

/** A value given inline or read from a key of a Secret in the system namespace. */
export type ValueSource = { readonly value: string } | { readonly secret: string; readonly key: string };

export interface TargetConfig {
  readonly name: string;
  readonly type: "webhook" | "slack";
  readonly url: ValueSource;
  /** Inline headers (not secret). */
  readonly headers: Readonly<Record<string, string>>;
  /** A Secret whose every key is a header (e.g. `Authorization`). */
  readonly headersSecret?: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface TriggerConfig {
  readonly on: readonly TriggerName[];
  readonly targets: readonly string[];
  /** Label selector on the Application; every app when empty. */
  readonly selector: readonly Requirement[];
}

export interface NotificationConfig {
  readonly targets: readonly TargetConfig[];
  readonly triggers: readonly TriggerConfig[];
  /** Per-trigger message templates (defaults for the rest). */
  readonly templates: Readonly<Partial<Record<TriggerName, string>>>;
  /** Only apps annotated `notifications.tether.dev/enabled: "true"` are notified. */
  readonly optIn: boolean;
}

export interface ConfigError {
  readonly key: string;
  readonly field: string;
  readonly message: string;
}

export const EMPTY_CONFIG: NotificationConfig = { targets: [], triggers: [], templates: {}, optIn: false };

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 4;
const MAX_ATTEMPTS_LIMIT = 10;
const MAX_TIMEOUT_MS = 60_000;

export const DEFAULT_TEMPLATES: Readonly<Record<TriggerName, string>> = {
  "sync-succeeded": "Application {{app}} synced to {{revision}} ({{author}}: {{message}})",
  "sync-failed": "Application {{app}} failed to sync {{revision}}: {{detail}}",
  "health-degraded": "Application {{app}} is {{status}}: {{detail}}",
  "drift-corrected": "Application {{app}}: drift corrected at {{revision}}: {{detail}}",
};

export function formatConfigError(e: ConfigError, configMap = NOTIFICATIONS_CONFIGMAP): string {
  return `ConfigMap ${configMap}, key "${e.key}"${e.field ? `, field ${e.field}` : ""}: ${e.message}`;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

class Collector {
  readonly errors: ConfigError[] = [];
  constructor(private readonly key: string) {}
  add(field: string, message: string): void {
    this.errors.push({ key: this.key, field, message });
  }
}

function yamlList(data: Readonly<Record<string, string>>, key: string, errors: ConfigError[]): unknown[] {
  const text = data[key];
  if (text === undefined || text.trim() === "") return [];
  let parsed: unknown;
  try {
    // Bounded: the library's own duplicate-key check is quadratic (20,000 keys took 7 s, found by
    // fuzzing) and its composer recurses once per nesting level.
    parsed = parseYamlBounded(text);
  } catch (error) {
    errors.push({
      key,
      field: "",
      message: `not valid YAML: ${errorMessage(error).split("\n")[0]}`,
    });
    return [];
  }
  if (!Array.isArray(parsed)) {
    errors.push({ key, field: "", message: "must be a YAML list" });
    return [];
  }
  return parsed;
}

function valueSource(raw: Raw, field: string, at: string, c: Collector): ValueSource | undefined {
  const inline = raw[field];
  const from = raw[`${field}From`];
  if (inline !== undefined && from !== undefined) {
    c.add(at, `set either ${field} or ${field}From, not both`);
    return undefined;
  }
  if (typeof inline === "string" && inline !== "") return { value: inline };
  if (inline !== undefined) {
    c.add(`${at}.${field}`, "must be a non-empty string");
    return undefined;
  }
  const ref = isRecord(from) ? from["secretKeyRef"] : undefined;
  if (
    isRecord(ref) &&
    typeof ref["name"] === "string" &&
    ref["name"] &&
    typeof ref["key"] === "string" &&
    ref["key"]
  )
    return { secret: ref["name"], key: ref["key"] };
  c.add(
    from === undefined ? `${at}.${field}` : `${at}.${field}From`,
    from === undefined ? "is required (or urlFrom.secretKeyRef)" : "must be {secretKeyRef: {name, key}}",
  );
  return undefined;
}

function boundedInt(raw: unknown, at: string, min: number, max: number, c: Collector): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) {
    c.add(at, `must be an integer from ${min} to ${max}`);
    return undefined;
  }
  return raw;
}

function parseTarget(raw: unknown, index: number, c: Collector): TargetConfig | undefined {
  const at = `[${index}]`;
  if (!isRecord(raw)) return void c.add(at, "must be a mapping");
  const before = c.errors.length;
  const name = raw["name"];
  if (typeof name !== "string" || !NAME.test(name)) c.add(`${at}.name`, "must be a lowercase DNS label");
  const type = raw["type"];
  if (type !== "webhook" && type !== "slack") c.add(`${at}.type`, 'must be "webhook" or "slack"');
  const url = valueSource(raw, "url", at, c);
  if (url && "value" in url && !/^https?:\/\//.test(url.value)) c.add(`${at}.url`, "must be an http(s) URL");
  const headers: Record<string, string> = {};
  if (raw["headers"] !== undefined) {
    if (!isRecord(raw["headers"])) c.add(`${at}.headers`, "must be a mapping of header name to value");
    else
      for (const [k, v] of Object.entries(raw["headers"])) {
        if (!HEADER.test(k)) c.add(`${at}.headers.${k}`, "is not a valid header name");
        else if (typeof v !== "string") c.add(`${at}.headers.${k}`, "must be a string");
        else headers[k] = v;
      }
  }
  let headersSecret: string | undefined;
  if (raw["headersFrom"] !== undefined) {
    const ref = isRecord(raw["headersFrom"]) ? raw["headersFrom"]["secretRef"] : undefined;
    if (isRecord(ref) && typeof ref["name"] === "string" && ref["name"]) headersSecret = ref["name"];
    else c.add(`${at}.headersFrom`, "must be {secretRef: {name}}");
  }
  const timeoutSeconds = boundedInt(
    raw["timeoutSeconds"],
    `${at}.timeoutSeconds`,
    1,
    MAX_TIMEOUT_MS / 1000,
    c,
  );
  const maxAttempts = boundedInt(raw["maxAttempts"], `${at}.maxAttempts`, 1, MAX_ATTEMPTS_LIMIT, c);
  const known = new Set([
    "name",
    "type",
    "url",
    "urlFrom",
    "headers",
    "headersFrom",
    "timeoutSeconds",
    "maxAttempts",
  ]);
  for (const k of Object.keys(raw)) if (!known.has(k)) c.add(`${at}.${k}`, "is not a known field");
  if (c.errors.length > before || !url) return undefined;
  return {
    name: name as string,
    type: type as "webhook" | "slack",
    url,
    headers,
    ...(headersSecret ? { headersSecret } : {}),
    timeoutMs: timeoutSeconds ? timeoutSeconds * 1000 : DEFAULT_TIMEOUT_MS,
    maxAttempts: maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

function stringList(raw: unknown): string[] | undefined {
  const list = typeof raw === "string" ? [raw] : raw;
  return Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === "string")
    ? list
    : undefined;
}

function parseTrigger(
  raw: unknown,
  index: number,
  targets: ReadonlySet<string>,
  c: Collector,
): TriggerConfig | undefined {
  const at = `[${index}]`;
  if (!isRecord(raw)) return void c.add(at, "must be a mapping");
  const before = c.errors.length;
  const on = stringList(raw["on"]);
  if (!on) c.add(`${at}.on`, `must name one or more of ${TRIGGERS.join(", ")}`);
  for (const t of on ?? [])
    if (!(TRIGGERS as readonly string[]).includes(t))
      c.add(`${at}.on`, `"${t}" is not a trigger (known: ${TRIGGERS.join(", ")})`);
  const names = stringList(raw["targets"]);
  if (!names) c.add(`${at}.targets`, "must name one or more targets");
  for (const n of names ?? []) if (!targets.has(n)) c.add(`${at}.targets`, `no valid target named "${n}"`);
  let selector: readonly Requirement[] = [];
  if (raw["selector"] !== undefined) {
    if (typeof raw["selector"] !== "string")
      c.add(`${at}.selector`, 'must be a label selector string, e.g. "team=payments"');
    else
      try {
        selector = parseSelector(raw["selector"]);
      } catch (error) {
        c.add(`${at}.selector`, errorMessage(error));
      }
  }
  for (const k of Object.keys(raw))
    if (!["on", "targets", "selector"].includes(k)) c.add(`${at}.${k}`, "is not a known field");
  if (c.errors.length > before) return undefined;
  return { on: on as TriggerName[], targets: names as string[], selector };
}

/** Parses the ConfigMap's data. Unknown keys are errors too (a misspelt `trigers` must not pass silently). */
export function parseNotificationConfig(data: Readonly<Record<string, string>>): {
  config: NotificationConfig;
  errors: ConfigError[];
} {
  const errors: ConfigError[] = [];
  const targetErrors = new Collector("targets");
  const seen = new Set<string>();
  const unique = yamlList(data, "targets", errors).flatMap((raw, i) => {
    const target = parseTarget(raw, i, targetErrors);
    if (!target) return [];
    if (seen.has(target.name)) {
      targetErrors.add(`[${i}].name`, `duplicate target name "${target.name}"`);
      return [];
    }
    seen.add(target.name);
    return [target];
  });
  const triggerErrors = new Collector("triggers");
  const triggers = yamlList(data, "triggers", errors).flatMap(
    (raw, i) => parseTrigger(raw, i, seen, triggerErrors) ?? [],
  );
  errors.push(...targetErrors.errors, ...triggerErrors.errors);

  const templates: Partial<Record<TriggerName, string>> = {};
  let optIn = false;
  for (const [key, value] of Object.entries(data)) {
    if (key === "targets" || key === "triggers") continue;
    if (key === "optIn") {
      if (value !== "true" && value !== "false")
        errors.push({ key, field: "", message: 'must be "true" or "false"' });
      optIn = value === "true";
      continue;
    }
    const trigger = key.startsWith("template.") ? key.slice("template.".length) : undefined;
    if (trigger === undefined) {
      errors.push({
        key,
        field: "",
        message: "is not a known key (targets, triggers, optIn, template.<trigger>)",
      });
    } else if (!(TRIGGERS as readonly string[]).includes(trigger)) {
      errors.push({
        key,
        field: "",
        message: `"${trigger}" is not a trigger (known: ${TRIGGERS.join(", ")})`,
      });
    } else if (value.length > MAX_TEMPLATE_LENGTH) {
      errors.push({ key, field: "", message: `longer than ${MAX_TEMPLATE_LENGTH} characters` });
    } else {
      const unknown = unknownPlaceholders(value);
      if (unknown.length > 0) {
        errors.push({
          key,
          field: "",
          message: `unknown placeholder(s) ${unknown.map((u) => `{{${u}}}`).join(", ")} (known: ${PLACEHOLDERS.join(", ")})`,
        });
      } else templates[trigger as TriggerName] = value;
    }
  }
  return { config: { targets: unique, triggers, templates, optIn }, errors };
}
