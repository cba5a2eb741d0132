// What an import could not carry over, per object and field, and why. Two severities:
//   dropped  configuration Tether cannot express: the converted object behaves differently
//            (`tether import` exits 4 when there is any)
//   note     a field whose meaning Tether covers another way (a controller-wide setting, a default):
//            nothing is lost, but the user should know where it went
// Pure values: the converters return them; the CLI prints them.

export type Severity = "dropped" | "note";

export interface ImportMessage {
  /** `Kind namespace/name`, as in the input. */
  readonly object: string;
  /** Path of the field in the input object, e.g. `spec.postBuild.substituteFrom`. */
  readonly field: string;
  /** Why, in a sentence a user can act on. */
  readonly reason: string;
  readonly severity: Severity;
}

export interface ImportResult {
  /** Tether objects (tether.dev/v1alpha1), in input order. */
  readonly objects: Record<string, unknown>[];
  readonly messages: ImportMessage[];
}

export type Json = Record<string, unknown>;

/** A field's value as text for messages and string fields (objects as JSON, never "[object Object]"). */
export function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return value.toString();
  if (value === undefined || value === null) return "";
  return JSON.stringify(value);
}

/** `Kind namespace/name` of an input object. */
export function describe(object: Json): string {
  const meta = (object["metadata"] ?? {}) as Json;
  const ns = typeof meta["namespace"] === "string" ? `${meta["namespace"]}/` : "";
  return `${str(object["kind"] ?? "?")} ${ns}${str(meta["name"] ?? "?")}`;
}

export function formatMessage(m: ImportMessage): string {
  return `${m.severity === "note" ? "note: " : ""}${m.object}: ${m.field}: ${m.reason}`;
}

/** Collects messages for one input object. */
export class Reporter {
  constructor(
    readonly object: string,
    private readonly messages: ImportMessage[],
  ) {}

  drop(field: string, reason: string): void {
    this.messages.push({ object: this.object, field, reason, severity: "dropped" });
  }

  note(field: string, reason: string): void {
    this.messages.push({ object: this.object, field, reason, severity: "note" });
  }
}

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reports every key of `source` that is neither in `mapped` nor `ignored`: `reasons` explains the
 * ones known to have no Tether equivalent; any other key is reported as unknown. Nothing is dropped
 * without a message.
 */
export function reportUnmapped(
  source: Json,
  prefix: string,
  mapped: readonly string[],
  reasons: Readonly<Record<string, string>>,
  report: Reporter,
): void {
  for (const key of Object.keys(source)) {
    if (mapped.includes(key) || source[key] === undefined) continue;
    const field = prefix ? `${prefix}.${key}` : key;
    report.drop(field, reasons[key] ?? "not a field Tether knows: not converted");
  }
}

/** Copies the keys in `keys` that are set, in that order. */
export function pick(source: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** The runtime parts of metadata (uid, resourceVersion, …) are left behind without a message. */
export function portableMetadata(meta: Json, namespace: string | undefined): Json {
  const out: Json = { name: meta["name"] };
  if (namespace) out["namespace"] = namespace;
  for (const key of ["labels", "annotations"]) {
    const value = meta[key];
    if (isObject(value) && Object.keys(value).length > 0) out[key] = stripLastApplied(value);
  }
  return out;
}

function stripLastApplied(map: Json): Json {
  const { "kubectl.kubernetes.io/last-applied-configuration": _ignored, ...rest } = map;
  return rest;
}

/** Tether's namespace for an object that lived in `namespace` under the other tool. */
export function targetNamespace(
  namespace: unknown,
  toolNamespace: string,
  override: string | undefined,
  systemNamespace: string,
): string {
  if (override) return override;
  if (typeof namespace !== "string" || namespace === "" || namespace === toolNamespace)
    return systemNamespace;
  return namespace;
}
