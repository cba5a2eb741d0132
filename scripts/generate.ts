// Writes generated files that are committed: the CRDs in deploy/crds/, and their copies in the Helm
// chart's crds/ (Helm installs CRDs only from there). Run with `npm run generate`; a unit test fails
// when a committed file is out of date, test/integration/deploy-chart.test.ts when a copy differs.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../src/model/generated.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const [file, content] of Object.entries(generatedFiles())) {
  await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await fs.writeFile(path.join(root, file), content);
  process.stdout.write(`wrote ${file}\n`);
  if (file.startsWith("deploy/crds/")) {
    const copy = path.join("charts/tether/crds", path.basename(file));
    await fs.writeFile(path.join(root, copy), content);
    process.stdout.write(`wrote ${copy}\n`);
  }
}
