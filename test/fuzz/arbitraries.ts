// Hostile inputs for the fuzz properties: random text of every kind (binary, unicode, controls),
// and structure-aware values (JSON/YAML that nests past the limits, prototype-pollution keys, huge
// numbers, NUL bytes, long runs within the parsers' own size bounds). Each property mixes these
// with mutations of a valid input of its own format, so cases reach past the first check.
import fc from "fast-check";

/** Keys and words that have broken JavaScript parsers before (prototype pollution, getters). */
export const NASTY_WORDS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "",
  " ",
  "\u0000",
  "\u202e",
  "\u200b",
  "\ufeff",
  "\ud800",
  "NaN",
  "Infinity",
  "-0",
  "1e400",
  "99999999999999999999999999999999",
  "0x7fffffff",
  "null",
  "true",
  "~",
  "%00",
  "%2e%2e",
  "../",
  "{{",
  "}}",
  "$(",
  "${a}",
  "\\",
  '"',
  "'",
  "\n",
  "\r\n",
  "\t",
] as const;

export const nastyWord = fc.constantFrom(...NASTY_WORDS);

/** Any text: short or (rarely) long, ASCII, full unicode or lone surrogates, and the nasty words. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 3, arbitrary: nastyWord },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("a", "0", ".", "/", "%", ":", "@", "~") }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 100, max: 5_000 }))
      .map(([s, n]) => s.repeat(n)),
  },
  { weight: 1, arbitrary: fc.array(nastyWord, { maxLength: 8 }).map((w) => w.join("")) },
);

/** A number as text: huge, tiny, negative, fractional, exponent, with leading zeros. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.nat().map(String),
  fc.double().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 400n }).map(String),
  fc.constantFrom("0", "00", "007", "1e309", "-1", "1.", ".5", "1_000", "0x10", "∞"),
);

/** Objects keyed by nasty words and random keys, arrays, every JSON scalar, bounded in size. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 1e-320),
    hostileString,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(nastyWord, fc.string({ maxLength: 10 })), tie("value"), {
      maxKeys: 5,
    }),
  ),
})).value;

/** `depth` levels of arrays or objects around `inner`: crosses the nesting limit when depth > 200. */
export function nested(depth: number, inner: unknown, keys: readonly string[] = ["a"]): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) {
    const key = keys[i % keys.length] ?? "a";
    value = i % 3 === 2 ? [value] : { [key]: value };
  }
  return value;
}

/** Deep JSON, just under and well over the 200-level limit, keyed by nasty words. */
export const deepJson: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 150, max: 1_000 }), fc.array(nastyWord, { minLength: 1, maxLength: 3 }))
  .map(([depth, keys]) => nested(depth, "x", keys));

/** JSON text of a hostile or deep value, or raw JSON-looking text (truncated, repeated brackets). */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  hostileJson.map((v) => JSON.stringify(v) ?? "null"),
  deepJson.map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)),
  hostileString,
);

/**
 * YAML text aimed at the composer: deep flow and block nesting, alias bombs, many duplicate keys,
 * many documents, tags, anchors without aliases and aliases without anchors.
 */
export const hostileYamlText: fc.Arbitrary<string> = fc.oneof(
  // Small cases most of the time (fast, and most parser paths), the big shapes one case in ten.
  { weight: 30, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? "null") },
  { weight: 30, arbitrary: hostileString },
  {
    weight: 30,
    arbitrary: fc
      .array(
        fc.constantFrom(
          "a",
          ":",
          " ",
          "\n",
          "-",
          "[",
          "]",
          "{",
          "}",
          "&x",
          "*x",
          "!!str",
          "? ",
          "|",
          ">",
          "'",
          '"',
          "#",
          "---",
          "@",
          "`",
          "%",
        ),
        { maxLength: 30 },
      )
      .map((p) => p.join("")),
  },
  fc.integer({ min: 150, max: 2_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 150, max: 1_000 }).map((n) => "{a: ".repeat(n) + "1" + "}".repeat(n)),
  fc
    .integer({ min: 150, max: 400 })
    .map((n) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1"),
  fc
    .integer({ min: 150, max: 400 })
    .map((n) => Array.from({ length: n }, (_, i) => `${"  ".repeat(i)}- `).join("\n") + "x"),
  fc.integer({ min: 2, max: 12 }).map((levels) => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= levels; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    return lines.join("\n");
  }),
  fc.integer({ min: 2, max: 3_000 }).map((n) => Array.from({ length: n }, () => "k: v").join("\n")),
  // Many distinct keys: the yaml library's own duplicate-key check is quadratic in them (12,000
  // took it ~4 s; the bounded reader ~0.3 s).
  fc
    .integer({ min: 1_000, max: 12_000 })
    .map((n) => Array.from({ length: n }, (_, i) => `k${i}: v`).join("\n")),
  fc
    .integer({ min: 1_000, max: 12_000 })
    .map((n) => `- ${Array.from({ length: n }, (_, i) => `k${i}: v`).join("\n  ")}`),
  fc
    .integer({ min: 2, max: 1_000 })
    .map((n) => Array.from({ length: n }, (_, i) => `a: ${i}`).join("\n---\n")),
  fc.constantFrom(
    "*unknown",
    "&a [*a]",
    "&a {x: *a}",
    "!!binary AAAA",
    "!!js/function 'function(){}'",
    "? [a]\n: b",
    "%YAML 1.1\n---\na: b",
    "a: !!int 0x7fffffffffffffffffffffffffff",
    "a: .inf\nb: .nan\nc: 0o777",
    "<<: {a: 1}\n__proto__: {polluted: 1}",
    "---\n...\n---\n",
    "\u0000",
    "\ufeffa: 1",
  ),
);

/** Replaces, removes or retypes the value at one random place of a JSON value (returns a copy). */
export function mutateAt(root: unknown, choice: number, replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone<unknown>(root);
  const places: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const stack: unknown[] = [copy];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        places.push({ parent: node, key: i });
        stack.push(item);
      });
    } else if (typeof node === "object" && node !== null) {
      for (const [key, item] of Object.entries(node)) {
        places.push({ parent: node as Record<string, unknown>, key });
        stack.push(item);
      }
    }
  }
  const place = places[choice % Math.max(1, places.length)];
  if (!place) return replacement;
  if (remove && !Array.isArray(place.parent)) delete place.parent[place.key as string];
  else if (Array.isArray(place.parent)) place.parent[place.key as number] = replacement;
  else
    Object.defineProperty(place.parent, place.key, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/**
 * A valid JSON value with one to three random places changed to hostile values or removed, and
 * (when `deep`) possibly one more replaced by a value nesting past the limit. The deep edit comes
 * last: cloning a value thousands of levels deep would overflow the generator's own stack.
 */
export function mutationsOf(valid: unknown, deep = true): fc.Arbitrary<unknown> {
  const edit = fc.tuple(fc.nat(), hostileJson, fc.boolean());
  const deepEdit = deep ? fc.option(fc.tuple(fc.nat(), deepJson), { freq: 4 }) : fc.constant(null);
  return fc.tuple(fc.array(edit, { minLength: 1, maxLength: 3 }), deepEdit).map(([edits, last]) => {
    const mutated = edits.reduce<unknown>(
      (value, [choice, replacement, remove]) => mutateAt(value, choice, replacement, remove),
      valid,
    );
    return last ? mutateAt(mutated, last[0], last[1], false) : mutated;
  });
}
