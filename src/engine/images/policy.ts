// Choosing the latest tag: filter (regex + extract), then semver / alphabetical / numerical, the
// way Flux's ImagePolicy does. Pure: tags in, a decision value out, never throws for bad input.
import semver from "semver";
import type { ImagePolicySpec, TagFilter } from "../../model/images.js";

export type PolicyDecision =
  | { readonly ok: true; readonly tag: string; readonly candidates: number }
  | { readonly ok: false; readonly reason: "InvalidSpec" | "NoMatchingTag"; readonly message: string };

interface Candidate {
  readonly tag: string;
  /** What the policy compares: the tag, or what `extract` made of it. */
  readonly value: string;
}

/** Go's RE2 spells named groups `(?P<name>…)`; JavaScript wants `(?<name>…)`. */
export function compileTagPattern(pattern: string): RegExp {
  const re = new RegExp(pattern.replace(/\(\?P</g, "(?<"));
  // V8 compiles on first use, once per string width: "Regular expression too large" (32,768
  // spaces) would otherwise be thrown by the first test(), outside the caller's error handling
  // (found by fuzzing).
  re.test("");
  re.test("\u0100");
  return re;
}

/** Expands `$name`, `${name}` and `$1` against a match, like Go's Regexp.ExpandString. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(
    /\$(?:\{(\w+)\}|(\w+))/g,
    (_all, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      if (/^\d+$/.test(name)) return match[Number(name)] ?? "";
      return match.groups?.[name] ?? "";
    },
  );
}

/** Tags that pass the filter, each with the value to compare. */
export function filterTags(tags: readonly string[], filter: TagFilter | undefined): Candidate[] {
  if (!filter) return tags.map((tag) => ({ tag, value: tag }));
  const re = compileTagPattern(filter.pattern);
  const out: Candidate[] = [];
  for (const tag of tags) {
    const match = re.exec(tag);
    if (!match) continue;
    out.push({ tag, value: filter.extract ? expandTemplate(filter.extract, match) : tag });
  }
  return out;
}

/** Tags are versions when they are `x.y.z[-pre][+build]`, optionally with a leading `v`. */
function asVersion(value: string): semver.SemVer | null {
  if (!/^v?\d+\.\d+\.\d+(?:[-+].*)?$/.test(value)) return null;
  return semver.parse(value.replace(/^v/, ""));
}

/**
 * Prereleases are considered only when the range itself names one (e.g. `>=1.0.0-0`), and then for
 * any version, as Masterminds/semver (Flux) does; node-semver alone would limit them to the same
 * major.minor.patch.
 */
function selectSemver(candidates: readonly Candidate[], range: string): PolicyDecision {
  const parsed = semver.validRange(range);
  if (parsed === null) {
    return {
      ok: false,
      reason: "InvalidSpec",
      message: `spec.policy.semver.range "${range}" is not a valid semver range`,
    };
  }
  // Read from the text: the parsed range adds `-0` bounds of its own (^1.2 is <2.0.0-0).
  const includePrerelease = /\d-[0-9A-Za-z]/.test(range);
  let best: { candidate: Candidate; version: semver.SemVer } | undefined;
  let matching = 0;
  for (const candidate of candidates) {
    const version = asVersion(candidate.value);
    if (!version || !semver.satisfies(version, range, { includePrerelease })) continue;
    matching += 1;
    const order = best ? semver.compare(version, best.version) : 1;
    // Equal versions (v1.2.3 and 1.2.3, or different build metadata): the greater tag, for determinism.
    if (order > 0 || (order === 0 && best && candidate.tag > best.candidate.tag))
      best = { candidate, version };
  }
  if (!best) return noMatch(candidates.length, `semver range "${range}"`);
  return { ok: true, tag: best.candidate.tag, candidates: matching };
}

function selectOrdered(
  candidates: readonly Candidate[],
  order: "asc" | "desc",
  compare: (a: Candidate, b: Candidate) => number,
  what: string,
): PolicyDecision {
  if (candidates.length === 0) return noMatch(0, what);
  const sorted = [...candidates].sort(
    (a, b) => compare(a, b) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0),
  );
  const pick = order === "asc" ? sorted.at(-1) : sorted[0];
  return { ok: true, tag: (pick as Candidate).tag, candidates: candidates.length };
}

function noMatch(count: number, what: string): PolicyDecision {
  return {
    ok: false,
    reason: "NoMatchingTag",
    message: count === 0 ? `no tag passes the filter for ${what}` : `none of ${count} tags matches ${what}`,
  };
}

export function selectLatestTag(tags: readonly string[], spec: ImagePolicySpec): PolicyDecision {
  let candidates: Candidate[];
  try {
    candidates = filterTags(tags, spec.filterTags);
  } catch (error) {
    return {
      ok: false,
      reason: "InvalidSpec",
      message: `spec.filterTags.pattern: ${(error as Error).message}`,
    };
  }
  const policy = spec.policy ?? {};
  const chosen = Object.keys(policy).filter((k) => policy[k as keyof typeof policy] !== undefined);
  if (chosen.length !== 1) {
    return {
      ok: false,
      reason: "InvalidSpec",
      message: `spec.policy must name exactly one of semver, alphabetical, numerical (got ${chosen.join(", ") || "none"})`,
    };
  }
  if (policy.semver) return selectSemver(candidates, policy.semver.range);
  if (policy.alphabetical) {
    const order = policy.alphabetical.order ?? "asc";
    return selectOrdered(
      candidates,
      order,
      (a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
      `alphabetical order ${order}`,
    );
  }
  const order = policy.numerical?.order ?? "asc";
  const numeric = candidates.filter((c) => /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(c.value));
  if (numeric.length === 0 && candidates.length > 0) {
    return {
      ok: false,
      reason: "NoMatchingTag",
      message: `none of ${candidates.length} tags is a number (numerical order ${order}); use filterTags.extract to pick the number out`,
    };
  }
  return selectOrdered(
    numeric,
    order,
    (a, b) => Number(a.value) - Number(b.value),
    `numerical order ${order}`,
  );
}

/** Applies spec.exclusionList (default: cosign signature tags). Throws on an invalid expression. */
export function excludeTags(tags: readonly string[], exclusionList: readonly string[] | undefined): string[] {
  const patterns = (exclusionList ?? ["^.*\\.sig$"]).map((p, i) => {
    try {
      return compileTagPattern(p);
    } catch (error) {
      throw new Error(`spec.exclusionList[${i}] "${p}": ${(error as Error).message}`);
    }
  });
  return tags.filter((t) => !patterns.some((re) => re.test(t)));
}
