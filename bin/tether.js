#!/usr/bin/env node
// The installed `tether` command runs the compiled CLI (`npm run build` writes dist/).
// From a source checkout, `npx tsx src/cli/main.ts` runs the same code without a build.
await import("../dist/cli/main.js");
