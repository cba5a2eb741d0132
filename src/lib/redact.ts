// Apiserver answers about Secrets, and about SOPS-decrypted objects of any kind, lose every value
// before they become an error: error messages end up in status (conditions, operationState,
// resources[].message), Events, logs, notifications and API answers, all read by people who may
// not read the Secret. Pure: text in, text out.
//
// What is kept is what makes the message useful: the object, the field path and what was expected
// (".stringData.pin: expected string, got a number"). What goes is every value, in two passes:
//  1. value markers, the forms in which the apiserver (Go) quotes a value: structured-merge-diff's
//     `got &value.valueUnstructured{Value:…}` (%#v), field.Error's `Invalid value: …` (and its
//     Unsupported/Duplicate/Not found siblings), encoding/json's `cannot unmarshal number 424242
//     into`, json-iterator's `error found in #N byte of ...|…|...` and `but found …`;
//  2. the object's own values, wherever they still appear (a form not foreseen above).
// A value a marker starts but that cannot be delimited takes the rest of its line with it: losing
// the end of a line is better than showing a value.

export const REDACTED = "(redacted)";

/** Values shorter than this are left to the markers: scrubbing "1" or "on" would mangle the text. */
const MIN_SCRUBBED_LENGTH = 6;

const CORE_SECRETS_PATH = /^\/api\/v1\/(?:namespaces\/[^/]+\/)?secrets(?:[/?]|$)/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A core v1 Secret (by its manifest) — the kind whose values no message may show. */
export function isSecretObject(value: unknown): boolean {
  return isPlainObject(value) && value["apiVersion"] === "v1" && value["kind"] === "Secret";
}

/** Whether a request to `path` with `body` is about a Secret: its answers are redacted. */
export function isSecretRequest(path: string, body: unknown): boolean {
  return CORE_SECRETS_PATH.test(path) || isSecretObject(body);
}

function leaves(value: unknown, into: string[]): void {
  if (Array.isArray(value)) for (const item of value) leaves(item, into);
  else if (isPlainObject(value)) for (const item of Object.values(value)) leaves(item, into);
  else if (typeof value === "string") into.push(value);
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    into.push(String(value));
}

/**
 * The values of `object` that no message may show: a Secret's `data` (decoded too) and
 * `stringData` (encoded too, as the apiserver stores it); with `everything` (decrypted content,
 * whose encrypted fields Tether no longer knows), every value outside apiVersion, kind, metadata.
 */
export function sensitiveValues(object: unknown, everything = false): string[] {
  if (!isPlainObject(object)) return [];
  const values: string[] = [];
  if (everything) {
    for (const [field, value] of Object.entries(object)) {
      if (!["apiVersion", "kind", "metadata"].includes(field)) leaves(value, values);
    }
  } else if (isSecretObject(object)) {
    leaves(object["data"], values);
    leaves(object["stringData"], values);
  }
  return valueForms(values);
}

/** Every scalar inside `value` (maps and lists walked), as text. */
export function leafValues(value: unknown): string[] {
  const values: string[] = [];
  leaves(value, values);
  return values;
}

/** The forms in which a message may quote these values, longest first, short ones left out. */
export function valueForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    // `data` is base64: its plaintext may be quoted too (only when the value really is base64).
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const plain = Buffer.from(decoded).toString("base64") === value ? decoded : "";
    for (const form of [
      value,
      JSON.stringify(value).slice(1, -1), // as quoted in JSON and by Go's %q
      Buffer.from(value).toString("base64"), // `stringData` as the apiserver stores it
      ...value.split(/\r?\n/),
      plain,
      ...plain.split(/\r?\n/),
    ]) {
      if (form.trim().length >= MIN_SCRUBBED_LENGTH) forms.add(form);
    }
  }
  // Longest first: a value containing another is removed whole, not leaving its remainder.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** The JSON/Go type a Go %#v dump of an unstructured value stands for. */
function goValueType(dump: string): string {
  if (dump.startsWith('"')) return "a string";
  if (dump.startsWith("map[")) return "a map";
  if (dump.startsWith("[]")) return "a list";
  if (/^(true|false)\b/.test(dump)) return "a boolean";
  if (/^<nil>/.test(dump)) return "null";
  if (/^[-+]?[\d.]/.test(dump)) return "a number";
  return "a value";
}

/** Length of a Go/JSON double-quoted string at the start of `text`, or undefined if unterminated. */
function quotedLength(text: string): number | undefined {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return undefined;
}

/** What follows a field.Error value marker, with the value replaced: `"x": detail` → `(redacted): detail`. */
function withoutLeadingValue(rest: string): string {
  if (rest.startsWith('"')) {
    const end = quotedLength(rest);
    return end === undefined ? REDACTED : `${REDACTED}${rest.slice(end)}`;
  }
  const scalar = /^(?:[-+]?\d[\w.+-]*|true|false|null|<nil>)(?=$|[:,;\s])/.exec(rest);
  return scalar ? `${REDACTED}${rest.slice(scalar[0].length)}` : REDACTED;
}

const FIELD_ERROR_VALUE = /(Invalid value|Unsupported value|Duplicate value|Not found|Invalid type): /;

function redactLine(line: string): string {
  let out = line;
  // structured-merge-diff: `expected string, got &value.valueUnstructured{Value:424242}` (older
  // apiservers) or `expected boolean, got &{some text}`; recent ones say `got a number` themselves.
  out = out.replace(/(?:&?[\w.]+)?\{Value:(.*)$/, (_m, dump: string) => goValueType(dump));
  out = out.replace(/(expected [^,]+, got )(?!(?:a|an) \w+$|null$)(.*)$/, (_m, got: string, dump: string) => {
    const type = goValueType(dump);
    return `${got}${type === "a value" ? REDACTED : type}`;
  });
  // encoding/json: `cannot unmarshal number 424242 into Go struct field …` (the type stays).
  out = out.replace(
    /cannot unmarshal (.*?) into (Go (?:value|struct field))/g,
    (_m, what: string, into: string) => {
      const type = /^(number|string|bool|array|object)\b/.exec(what)?.[1] ?? "a value";
      return `cannot unmarshal ${type} into ${into}`;
    },
  );
  // encoding/json syntax errors quote one character of the input: `invalid character 'C' looking
  // for beginning of value` (a dockerconfigjson Secret's first decoded byte, hostile testing), and
  // `in literal true (expecting 'r')` tells the next one.
  out = out.replace(/invalid character '(?:\\.|[^'\\])*?'/g, `invalid character ${REDACTED}`);
  out = out.replace(/ in literal \w+ \(expecting '(?:\\.|[^'\\])*?'\)/g, " in a literal");
  // json-iterator: `error found in #10 byte of ...|"pin":4242|..., bigger context ...|…|...`.
  out = out.replace(/(error found in #\d+ byte of) .*$/, `$1 the request ${REDACTED}`);
  out = out.replace(/(but found) .*?(, error found|$)/, `$1 ${REDACTED}$2`);
  // field.Error: `data[k]: Invalid value: "…": a valid config key must …` — each marker on the line.
  let result = "";
  let rest = out;
  for (let match = FIELD_ERROR_VALUE.exec(rest); match; match = FIELD_ERROR_VALUE.exec(rest)) {
    const cut = match.index + match[0].length;
    result += rest.slice(0, cut);
    rest = withoutLeadingValue(rest.slice(cut));
    if (rest.startsWith(REDACTED)) {
      result += REDACTED;
      rest = rest.slice(REDACTED.length);
    }
  }
  return result + rest;
}

/**
 * `message` without the values it quotes: every value marker redacted line by line, then any of
 * `values` (from sensitiveValues) still present replaced.
 */
export function redactMessage(message: string, values: readonly string[] = []): string {
  let out = message.split("\n").map(redactLine).join("\n");
  for (const value of values) out = out.split(value).join(REDACTED);
  return out;
}

/**
 * An apiserver error body (a Status) with its messages redacted; any other text is dropped, since
 * it cannot be read for what it quotes.
 */
export function redactStatusBody(body: string, values: readonly string[]): string {
  try {
    const status = JSON.parse(body) as Record<string, unknown>;
    if (!isPlainObject(status)) return "";
    const details = isPlainObject(status["details"]) ? status["details"] : undefined;
    const causes = Array.isArray(details?.["causes"]) ? (details["causes"] as unknown[]) : [];
    return JSON.stringify({
      ...status,
      message: typeof status["message"] === "string" ? redactMessage(status["message"], values) : undefined,
      details: details && {
        ...details,
        causes: causes.filter(isPlainObject).map((c) => ({
          ...c,
          message: typeof c["message"] === "string" ? redactMessage(c["message"], values) : undefined,
        })),
      },
    });
  } catch {
    return "";
  }
}
