// A tiny glob matcher for RBAC patterns: `*` matches any run of characters except `/`, `?` one
// character except `/`; everything else is literal. No regular expressions (nothing to backtrack
// catastrophically on hostile patterns) and no negation, braces or character classes, so a
// policy means exactly what it looks like. Each segment is matched by the projects' wildcard matcher
// (linear time, one backtrack point): within a segment there is no `/` for the two to disagree on.
import { globMatch as matchSegment } from "../../engine/policy/glob.js";

export const GLOB_PATTERN = /^[A-Za-z0-9._*?-]+$/;

/** Matches `a/b`-style names segment by segment; the segment counts must agree. */
export function globMatch(pattern: string, text: string): boolean {
  const patterns = pattern.split("/");
  const parts = text.split("/");
  if (patterns.length !== parts.length) return false;
  return patterns.every((p, i) => {
    const part = parts[i];
    return part !== undefined && !part.includes("/") && matchSegment(p, part);
  });
}
