// Writes docs/api.md from the OpenAPI document the server serves at /api/openapi.json. Run with
// `npm run docs:api`; test/unit/apidocs.test.ts fails when the committed file is out of date.
// The Markdown goes through prettier (the repository's own config) so `npm run lint` agrees with it.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { format, resolveConfig } from "prettier";
import type { OpenApiDocumentLike } from "../src/api/apidocs.js";
import { apiMarkdown } from "../src/api/apidocs.js";
import { openApiDocument } from "../src/api/openapi.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const API_DOCS_FILE = "docs/api.md";

/** The expected content of docs/api.md. */
export async function renderApiDocs(): Promise<string> {
  const file = path.join(root, API_DOCS_FILE);
  const options = (await resolveConfig(file)) ?? {};
  return format(apiMarkdown(openApiDocument() as unknown as OpenApiDocumentLike), {
    ...options,
    filepath: file,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await fs.writeFile(path.join(root, API_DOCS_FILE), await renderApiDocs());
  process.stdout.write(`wrote ${API_DOCS_FILE}\n`);
}
