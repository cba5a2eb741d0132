// Glob matching for project rules and sync windows, with Argo CD's meaning: `*` matches any run of
// characters (including `/`, so `https://git.example.com/team-a/*` covers every repository under
// it), `?` one character, everything else is literal and case-sensitive. No regular expressions:
// linear-time greedy matching with one backtrack point, so a hostile pattern cannot stall a reconcile.

export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc !== undefined && pc !== "*" && (pc === "?" || pc === text[t])) {
      p++;
      t++;
    } else if (pc === "*") {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** A pattern starting with `!` denies what the rest of it matches. */
export function isDenyPattern(pattern: string | undefined): boolean {
  return pattern?.startsWith("!") ?? false;
}

/** Matches `pattern` without its `!`; an undefined pattern matches anything. */
export function patternMatches(pattern: string | undefined, text: string): boolean {
  if (pattern === undefined) return true;
  return globMatch(isDenyPattern(pattern) ? pattern.slice(1) : pattern, text);
}

/**
 * Allowed when some plain pattern matches and no `!` pattern does (a deny always wins), as Argo
 * CD reads `sourceRepos`.
 */
export function allowedByPatterns(patterns: readonly string[] | undefined, text: string): boolean {
  const list = patterns ?? [];
  if (list.some((p) => isDenyPattern(p) && patternMatches(p, text))) return false;
  return list.some((p) => !isDenyPattern(p) && globMatch(p, text));
}
