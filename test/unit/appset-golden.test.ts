// Golden cases for ApplicationSets: each testdata/appset/<case>/input.yaml holds a set (plus the
// cluster Secrets and Git repositories its generators read, as plain data); expected.yaml holds the
// Applications it generates, or the error. The whole path — generators, template, desired apps —
// runs over those plain inputs. UPDATE_GOLDEN=1 rewrites expected.yaml; review the diff.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { desiredApplications } from "../../src/engine/appset/applications.js";
import type { ClusterInfo, GeneratorInputs } from "../../src/engine/appset/generators.js";
import { generateParamSets } from "../../src/engine/appset/generators.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { ApplicationSet } from "../../src/model/applicationset.js";

const dir = path.join(repoRoot, "testdata/appset");
const update = process.env.UPDATE_GOLDEN === "1";

interface Input {
  applicationSet: ApplicationSet;
  clusters?: ClusterInfo[];
  repos?: Record<string, Record<string, string>>;
}

export function fakeInputs(input: Pick<Input, "clusters" | "repos">): GeneratorInputs {
  return {
    clusters: () => Promise.resolve(input.clusters ?? []),
    git: (repoURL) => {
      const files = input.repos?.[repoURL];
      if (!files) return Promise.reject(new Error(`repository "${repoURL}" not found`));
      const directories = new Set<string>();
      for (const file of Object.keys(files)) {
        const parts = file.split("/").slice(0, -1);
        parts.forEach((_, i) => directories.add(parts.slice(0, i + 1).join("/")));
      }
      return Promise.resolve({
        directories: [...directories].sort(),
        files: Object.keys(files).sort(),
        read: (file: string) => Promise.resolve(files[file] ?? ""),
      });
    },
  };
}

async function run(input: Input): Promise<unknown> {
  try {
    const generated = await generateParamSets(input.applicationSet.spec.generators, fakeInputs(input));
    return { applications: desiredApplications(input.applicationSet, generated) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

for (const name of (await fs.readdir(dir)).sort()) {
  test(`appset golden: ${name}`, async () => {
    const input = parse(await fs.readFile(path.join(dir, name, "input.yaml"), "utf8")) as Input;
    const actual = await run(input);
    const expectedFile = path.join(dir, name, "expected.yaml");
    if (update) await fs.writeFile(expectedFile, stringify(actual, { lineWidth: 0 }));
    assert.deepEqual(actual, parse(await fs.readFile(expectedFile, "utf8")));
  });
}
