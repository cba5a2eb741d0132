// ESLint flat config: typescript-eslint's type-aware rules catch floating promises and
// unsafe `any` flows, the two bug classes that hurt an async controller most.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/** Files matching `files` (minus `ignores`) may not import from these top-level folders of src/. */
function layer(files, forbidden, ignores = []) {
  return {
    files,
    ignores,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: forbidden.map((folder) => ({
            group: [`**/${folder}/*`, `**/${folder}/**`],
            message: `${files[0].replace("/**", "")} may not import src/${folder} (see the layer rules in eslint.config.js).`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "build/",
      "docs/",
      "coverage/",
      ".tether/",
      "**/*.js",
      "!eslint.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself tracks.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["test", "describe", "it", "suite", "before", "after"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Layers (docs/architecture.md): the pure engine sees no shell; model sees only lib; lib sees
  // nothing of Tether; the controller does not reach into the API server; only `tether local`
  // brings up a local cluster. Import cycles are found by scripts/import-cycles.ts (npm run lint).
  layer(["src/engine/**"], ["controller", "kube", "api", "cli", "localcluster", "ui", "import", "promote"]),
  layer(
    ["src/model/**"],
    ["engine", "controller", "kube", "api", "cli", "localcluster", "ui", "import", "promote", "toolchain"],
  ),
  layer(
    ["src/lib/**"],
    [
      "model",
      "engine",
      "controller",
      "kube",
      "api",
      "cli",
      "localcluster",
      "ui",
      "import",
      "promote",
      "toolchain",
    ],
  ),
  layer(["src/controller/**"], ["api", "cli", "localcluster", "ui"]),
  layer(["src/cli/**"], ["localcluster"], ["src/cli/local.ts"]),
  { files: ["eslint.config.js"], ...tseslint.configs.disableTypeChecked },
  prettier,
);
