// Generators → parameter sets. The only I/O is through `GeneratorInputs` (cluster Secrets, Git
// listings), so the whole computation — list, clusters, Git directories and files, matrix, merge,
// selectors — runs over plain inputs in tests. Every error names the generator at fault.
import type {
  ApplicationSetGenerator,
  ApplicationSetGeneratorTemplate,
  ApplicationSetNestedGenerator,
  ClusterGenerator,
  GitGenerator,
} from "../../model/applicationset.js";
import { ApplicationSetError } from "./errors.js";
import { gitDirectoryParams, gitFileParams, matchGitFiles } from "./git.js";
import type { Params } from "./params.js";
import { combineParams, flattenParams, matchesSelector, normalizeName, selectorIsEmpty } from "./params.js";
import { renderValue } from "./template.js";

/** The cluster Tether runs in, as Argo CD names it. */
export const LOCAL_CLUSTER = { name: "in-cluster", server: "https://kubernetes.default.svc" } as const;

export interface ClusterInfo {
  readonly name: string;
  readonly server: string;
  readonly project?: string;
  /** The cluster Secret's labels and annotations. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface GitListing {
  /** Every folder of the commit, relative to the root, without `.` (e.g. `apps`, `apps/web`). */
  readonly directories: readonly string[];
  /** Every regular file of the commit, relative to the root. */
  readonly files: readonly string[];
  read(file: string): Promise<string>;
}

export interface GeneratorInputs {
  clusters(): Promise<readonly ClusterInfo[]>;
  git(repoURL: string, revision: string): Promise<GitListing>;
}

export interface GeneratedParams {
  readonly params: Params;
  /** The top-level generator's own template, merged over the set's. */
  readonly template?: ApplicationSetGeneratorTemplate;
}

type AnyGenerator = ApplicationSetGenerator | ApplicationSetNestedGenerator;
const KINDS = ["list", "clusters", "git", "matrix", "merge"] as const;
const MAX_DEPTH = 3;

export async function generateParamSets(
  generators: readonly ApplicationSetGenerator[],
  inputs: GeneratorInputs,
): Promise<GeneratedParams[]> {
  const out: GeneratedParams[] = [];
  for (const [i, generator] of generators.entries()) {
    const where = `spec.generators[${i}]`;
    const kind = kindOf(generator, where);
    const template = generator[kind]?.template;
    for (const params of await run(generator, where, inputs, 0))
      out.push({ params, ...(template ? { template } : {}) });
  }
  return out;
}

function kindOf(generator: AnyGenerator, where: string): (typeof KINDS)[number] {
  const kinds = KINDS.filter((k) => generator?.[k] !== undefined);
  if (kinds.length !== 1)
    throw new ApplicationSetError(
      "InvalidSpec",
      where,
      `must set exactly one of ${KINDS.join(", ")} (has ${kinds.length ? kinds.join(", ") : "none"})`,
    );
  return kinds[0] as (typeof KINDS)[number];
}

async function run(
  generator: AnyGenerator,
  where: string,
  inputs: GeneratorInputs,
  depth: number,
): Promise<Params[]> {
  if (depth > MAX_DEPTH)
    throw new ApplicationSetError("InvalidSpec", where, `generators nest more than ${MAX_DEPTH} levels`);
  const kind = kindOf(generator, where);
  const at = `${where}.${kind}`;
  let sets: Params[];
  switch (kind) {
    case "list":
      sets = listParams(generator.list?.elements, at);
      break;
    case "clusters":
      sets = clusterParams(await inputs.clusters(), generator.clusters ?? {}, at);
      break;
    case "git":
      sets = await gitParams(generator.git as GitGenerator, at, inputs);
      break;
    case "matrix":
      sets = await matrixParams(generator.matrix?.generators, at, inputs, depth);
      break;
    case "merge":
      sets = await mergeParams(generator.merge?.mergeKeys, generator.merge?.generators, at, inputs, depth);
      break;
  }
  return generator.selector ? sets.filter((p) => matchesSelector(p, generator.selector)) : sets;
}

export function listParams(
  elements: readonly Record<string, unknown>[] | undefined,
  where: string,
): Params[] {
  if (!Array.isArray(elements))
    throw new ApplicationSetError("InvalidSpec", where, "elements must be a list");
  return elements.map((element, i) => {
    if (element === null || typeof element !== "object" || Array.isArray(element))
      throw new ApplicationSetError("InvalidSpec", `${where}.elements[${i}]`, "must be an object");
    return flattenParams(element);
  });
}

/** Argo CD's cluster parameters; the local cluster joins when the selector is empty. */
export function clusterParams(
  clusters: readonly ClusterInfo[],
  generator: ClusterGenerator,
  where: string,
): Params[] {
  const all = [...clusters];
  if (
    selectorIsEmpty(generator.selector) &&
    !all.some((c) => c.server.replace(/\/$/, "") === LOCAL_CLUSTER.server)
  )
    all.unshift({ ...LOCAL_CLUSTER, labels: {}, annotations: {} });
  return all
    .filter((c) => matchesSelector(c.labels, generator.selector))
    .map((c) => {
      const params: Record<string, string> = {
        name: c.name,
        nameNormalized: normalizeName(c.name),
        server: c.server,
      };
      if (c.project !== undefined) params["project"] = c.project;
      for (const [k, v] of Object.entries(c.labels)) params[`metadata.labels.${k}`] = v;
      for (const [k, v] of Object.entries(c.annotations)) params[`metadata.annotations.${k}`] = v;
      return withValues(params, generator.values, where);
    });
}

/** `values.<key>` parameters, rendered with the generator's own parameters. */
function withValues(
  params: Record<string, string>,
  values: Record<string, string> | undefined,
  where: string,
): Params {
  for (const [k, v] of Object.entries(values ?? {}))
    params[`values.${k}`] = renderValue(v, params, `${where}.values.${k}`);
  return params;
}

async function gitParams(generator: GitGenerator, where: string, inputs: GeneratorInputs): Promise<Params[]> {
  const hasDirs = (generator.directories?.length ?? 0) > 0;
  const hasFiles = (generator.files?.length ?? 0) > 0;
  if (hasDirs === hasFiles)
    throw new ApplicationSetError("InvalidSpec", where, "set exactly one of directories and files");
  let listing: GitListing;
  try {
    listing = await inputs.git(generator.repoURL, generator.revision || "HEAD");
  } catch (error) {
    throw new ApplicationSetError("GeneratorError", where, (error as Error).message, { cause: error });
  }
  let sets: Params[];
  if (hasDirs) sets = gitDirectoryParams(listing.directories, generator);
  else {
    const matched = matchGitFiles(listing.files, generator);
    const files = [];
    for (const path of matched) files.push({ path, content: await listing.read(path) });
    sets = gitFileParams(files, generator, where);
  }
  return sets.map((p) => withValues({ ...p }, generator.values, where));
}

async function matrixParams(
  children: readonly ApplicationSetNestedGenerator[] | undefined,
  where: string,
  inputs: GeneratorInputs,
  depth: number,
): Promise<Params[]> {
  if (!Array.isArray(children) || children.length !== 2)
    throw new ApplicationSetError(
      "InvalidSpec",
      where,
      `needs exactly two generators (has ${children?.length ?? 0})`,
    );
  const [first, second] = children as [ApplicationSetNestedGenerator, ApplicationSetNestedGenerator];
  const out: Params[] = [];
  // The second generator may use the first's parameters (e.g. a Git file path per directory);
  // equal renderings are generated once.
  const cache = new Map<string, Params[]>();
  for (const a of await run(first, `${where}.generators[0]`, inputs, depth + 1)) {
    const rendered = renderValue(second, a, `${where}.generators[1]`, true);
    const key = JSON.stringify(rendered);
    let bs = cache.get(key);
    if (!bs) {
      bs = await run(rendered, `${where}.generators[1]`, inputs, depth + 1);
      cache.set(key, bs);
    }
    for (const b of bs) {
      const combined = combineParams(a, b);
      if ("conflict" in combined) throw new ApplicationSetError("GeneratorError", where, combined.conflict);
      out.push(combined);
    }
  }
  return out;
}

async function mergeParams(
  mergeKeys: readonly string[] | undefined,
  children: readonly ApplicationSetNestedGenerator[] | undefined,
  where: string,
  inputs: GeneratorInputs,
  depth: number,
): Promise<Params[]> {
  if (!mergeKeys?.length)
    throw new ApplicationSetError("InvalidSpec", where, "mergeKeys must name at least one parameter");
  if (!Array.isArray(children) || children.length < 2)
    throw new ApplicationSetError("InvalidSpec", where, "needs at least two generators");
  const keyOf = (p: Params) => JSON.stringify(mergeKeys.map((k) => p[k] ?? null));
  const indexed = async (i: number) => {
    const at = `${where}.generators[${i}]`;
    const sets = await run(children[i] as ApplicationSetNestedGenerator, at, inputs, depth + 1);
    const byKey = new Map<string, Params>();
    for (const p of sets) {
      const key = keyOf(p);
      if (byKey.has(key))
        throw new ApplicationSetError(
          "GeneratorError",
          at,
          `two parameter sets have the same merge keys ${mergeKeys.join(", ")} = ${key}`,
        );
      byKey.set(key, p);
    }
    return byKey;
  };
  const base = await indexed(0);
  const others: Map<string, Params>[] = [];
  for (let i = 1; i < children.length; i += 1) others.push(await indexed(i));
  return [...base.entries()].map(([key, params]) => {
    let merged: Params = params;
    for (const other of others) {
      const match = other.get(key);
      if (match) merged = { ...merged, ...match };
    }
    return merged;
  });
}
