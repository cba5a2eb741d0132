// Kubernetes label selectors as strings (`team=payments,tier!=canary,env in (prod,stage),!legacy`),
// the syntax `kubectl get -l` takes. Pure: parse once when the config is read, match per app.

export type Requirement =
  | { readonly key: string; readonly op: "in" | "notin"; readonly values: readonly string[] }
  | { readonly key: string; readonly op: "exists" | "!exists" };

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?)?$/;

/** Splits at commas outside parentheses. */
function clauses(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((c) => c.trim());
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`"${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value)) throw new Error(`"${value}" is not a valid label value`);
  return value;
}

/** Parses a selector; throws an Error whose message names the bad clause. An empty selector matches everything. */
export function parseSelector(text: string): readonly Requirement[] {
  if (text.trim() === "") return [];
  return clauses(text).map((clause): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(clause);
    if (set) {
      const values = (set[3] ?? "").split(",").map((v) => checkValue(v.trim()));
      return { key: checkKey(set[1] ?? ""), op: set[2] as "in" | "notin", values };
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(clause);
    if (eq) {
      const key = checkKey(eq[1] ?? "");
      const value = checkValue(eq[3] ?? "");
      return { key, op: eq[2] === "!=" ? "notin" : "in", values: [value] };
    }
    const not = /^!\s*(\S+)$/.exec(clause);
    if (not) return { key: checkKey(not[1] ?? ""), op: "!exists" };
    if (clause === "") throw new Error("empty clause");
    return { key: checkKey(clause), op: "exists" };
  });
}

export function matchesSelector(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "in":
        return has && r.values.includes(labels[r.key] as string);
      case "notin":
        return !has || !r.values.includes(labels[r.key] as string);
    }
  });
}
