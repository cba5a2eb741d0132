// `tether app create`: an ApplicationWrite body from a YAML/JSON file (`-f`, an Application manifest
// or the API's write shape) and/or flags; flags win over the file. The API validates it; this only
// assembles it, so both modes reject the same things with the same field names.
import fs from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { ApplicationWrite } from "../../api/types.js";
import { UsageError } from "../errors.js";

export interface CreateFlags {
  name?: string;
  namespace?: string;
  project?: string;
  repo?: string;
  path?: string;
  revision?: string;
  destNamespace?: string;
  destServer?: string;
  autoSync?: boolean;
  prune?: boolean;
  selfHeal?: boolean;
  labels?: string[];
}

type Loose = Record<string, unknown>;
const obj = (value: unknown): Loose =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : {};

export async function readManifest(file: string): Promise<Loose> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await fs.readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`-f ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new UsageError(`-f ${file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new UsageError(`-f ${file}: expected one Application object`);
  return value as Loose;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Pure: the file's object (possibly empty) overlaid with the flags. */
export function buildApplication(file: Loose, flags: CreateFlags): ApplicationWrite {
  const metadata = { ...obj(file["metadata"]) };
  // Only what the write shape carries: a manifest exported from the cluster may have status, uid…
  for (const key of Object.keys(metadata)) {
    if (!["name", "namespace", "labels", "annotations"].includes(key)) delete metadata[key];
  }
  const spec = { ...obj(file["spec"]) };
  const source = { ...obj(spec["source"]) };
  const destination = { ...obj(spec["destination"]) };
  if (flags.name) metadata["name"] = flags.name;
  if (flags.namespace && metadata["namespace"] === undefined) metadata["namespace"] = flags.namespace;
  if (flags.labels?.length) {
    const labels = { ...(obj(metadata["labels"]) as Record<string, string>) };
    for (const label of flags.labels) {
      const eq = label.indexOf("=");
      if (eq <= 0) throw new UsageError(`--label "${label}": expected KEY=VALUE`);
      labels[label.slice(0, eq)] = label.slice(eq + 1);
    }
    metadata["labels"] = labels;
  }
  if (flags.project) spec["project"] = flags.project;
  if (flags.repo) source["repoURL"] = flags.repo;
  if (flags.path) source["path"] = flags.path;
  if (flags.revision) source["targetRevision"] = flags.revision;
  if (flags.destNamespace) destination["namespace"] = flags.destNamespace;
  if (flags.destServer) destination["server"] = flags.destServer;
  if (destination["server"] === undefined && destination["name"] === undefined) {
    destination["server"] = "https://kubernetes.default.svc";
  }
  if (flags.autoSync || flags.prune || flags.selfHeal) {
    const policy = { ...obj(spec["syncPolicy"]) };
    const automated = { ...obj(policy["automated"]) };
    if (flags.prune) automated["prune"] = true;
    if (flags.selfHeal) automated["selfHeal"] = true;
    policy["automated"] = automated;
    spec["syncPolicy"] = policy;
  }
  if (!metadata["name"]) throw new UsageError("create needs a NAME (argument or metadata.name in -f)");
  // The API validates the rest (zod, then validateApplication) and names the field at fault.
  return { metadata, spec: { ...spec, source, destination } } as unknown as ApplicationWrite;
}
