// What a chart's values.schema.json may refer to. Helm validates values against it with a JSON
// Schema compiler that loads `$ref` targets and unknown `$schema` meta-schemas from file:// and
// http(s):// URLs: hostile testing (issue 17, round 2) read /etc/passwd a character at a time
// from the parse errors and made the renderer GET Tether's own API on loopback. A chart's schema
// may therefore only refer inside itself (`#…`) and name one of the standard meta-schemas, which
// the compiler has built in. Pure: the caller finds the schema files (helm-schema-scan.ts).

/** The meta-schemas Helm's compiler knows without loading anything, as charts spell them. */
const KNOWN_META_SCHEMAS = new Set(
  [
    "draft-04/schema",
    "draft-06/schema",
    "draft-07/schema",
    "draft/2019-09/schema",
    "draft/2020-12/schema",
  ].flatMap((p) =>
    ["http", "https"].flatMap((scheme) => [
      `${scheme}://json-schema.org/${p}`,
      `${scheme}://json-schema.org/${p}#`,
    ]),
  ),
);

/** Keywords whose value the compiler resolves and may load. */
const REFERENCE_KEYWORDS = ["$ref", "$dynamicRef", "$recursiveRef"] as const;

/** Keywords whose value maps names to schemas: a property named `$ref` is a name, not a reference. */
const NAME_MAPS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
  "dependencies",
]);

/** Deeper than any real schema; a deeper one is refused rather than walked. */
const MAX_DEPTH = 200;

export interface SchemaReferenceProblem {
  /** JSON pointer of the offending keyword, e.g. /properties/x/$ref. */
  readonly pointer: string;
  readonly message: string;
}

const escapePointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");
const show = (value: string) => JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);

/** The first reference in `schema` that Helm would resolve outside the schema, if any. */
export function schemaReferenceProblem(schema: unknown): SchemaReferenceProblem | undefined {
  type Item = { value: unknown; pointer: string; depth: number; names?: boolean };
  const stack: Item[] = [{ value: schema, pointer: "", depth: 0 }];
  while (stack.length > 0) {
    const { value, pointer, depth, names } = stack.pop() as Item;
    if (depth > MAX_DEPTH) return { pointer, message: `nested deeper than ${MAX_DEPTH} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, pointer: `${pointer}/${i}`, depth: depth + 1 }));
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    const object = value as Record<string, unknown>;
    if (names) {
      for (const [key, child] of Object.entries(object))
        stack.push({ value: child, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1 });
      continue;
    }
    for (const keyword of REFERENCE_KEYWORDS) {
      const ref = object[keyword];
      if (ref === undefined) continue;
      if (typeof ref !== "string" || !ref.startsWith("#")) {
        return {
          pointer: `${pointer}/${escapePointer(keyword)}`,
          message: `${keyword} ${typeof ref === "string" ? show(ref) : "that is not a string"} refers outside the schema; only references inside it ("#…") are allowed`,
        };
      }
    }
    const meta = object["$schema"];
    if (meta !== undefined && (typeof meta !== "string" || !KNOWN_META_SCHEMAS.has(meta))) {
      return {
        pointer: `${pointer}/$schema`,
        message: `$schema ${typeof meta === "string" ? show(meta) : "that is not a string"} is not a standard JSON Schema draft (draft-04 to 2020-12 at json-schema.org)`,
      };
    }
    for (const [key, child] of Object.entries(object)) {
      if (child !== null && typeof child === "object") {
        const names = NAME_MAPS.has(key) && !Array.isArray(child);
        stack.push({ value: child, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1, names });
      }
    }
  }
  return undefined;
}
