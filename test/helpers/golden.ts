// Golden fixtures: one folder per case under testdata/<stage>/, its inputs beside expected.yaml.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const testdata = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata");
const update = process.env["UPDATE_GOLDEN"] === "1";

/** The folder of every case of `testdata/<stage>`, sorted by name. */
export function goldenCases(stage: string): { root: string; cases: string[] } {
  const root = path.join(testdata, stage);
  const cases = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return { root, cases };
}

/** A case's YAML file, parsed (undefined when the case has no such file). */
export function readCaseYaml<T>(dir: string, file: string): T | undefined {
  const full = path.join(dir, file);
  return fs.existsSync(full) ? (YAML.parse(fs.readFileSync(full, "utf8")) as T) : undefined;
}

/** `actual` equals the case's expected.yaml (written from it first under UPDATE_GOLDEN=1). */
export function assertGolden(dir: string, actual: unknown): void {
  const expectedFile = path.join(dir, "expected.yaml");
  if (update) fs.writeFileSync(expectedFile, YAML.stringify(actual, { lineWidth: 0 }));
  assert.deepEqual(actual, YAML.parse(fs.readFileSync(expectedFile, "utf8")));
}
