// A fragment of OpenAPI v3 schema, as a CRD carries it. Its own module so the CRD builders
// (crd.ts, imagecrds.ts) and the validation rules they attach (rules.ts) share it without
// importing each other.
export type Schema = Record<string, unknown>;
