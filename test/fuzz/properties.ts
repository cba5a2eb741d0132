// Every fuzz property, in one list shared by the quick mode (test/unit/fuzz-parsers.test.ts, a
// few hundred cases each with a fixed seed) and the long mode (`npm run fuzz`, test/fuzz/main.ts).
import type { FuzzProperty } from "./guard.js";
import { CONFIG_PROPERTIES } from "./props-config.js";
import { EXPRESSION_PROPERTIES } from "./props-expressions.js";
import { SOURCE_PROPERTIES } from "./props-source.js";
import { WEBHOOK_PROPERTIES } from "./props-webhooks.js";
import { YAML_PROPERTIES } from "./props-yaml.js";

export type { FuzzProperty } from "./guard.js";

export const FUZZ_PROPERTIES: readonly FuzzProperty[] = [
  ...WEBHOOK_PROPERTIES,
  ...SOURCE_PROPERTIES,
  ...YAML_PROPERTIES,
  ...EXPRESSION_PROPERTIES,
  ...CONFIG_PROPERTIES,
];
