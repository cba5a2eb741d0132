// Authentication and authorization building blocks for the API server. Each module is pure, talks
// to Kubernetes only through a small injected store, or (oidc.ts) to the OIDC provider through
// openid-client. The HTTP wiring is authn.ts plus ./routes (not exported here: framework code).
export * from "./constanttime.js";
export * from "./password.js";
export * from "./admin.js";
export * from "./accounts.js";
export * from "./account-passwords.js";
export * from "./account-state.js";
export * from "./sessions.js";
export * from "./server-keys.js";
export * from "./session-records.js";
export * from "./session-state.js";
export * from "./csrf.js";
export * from "./apitokens.js";
export * from "./ratelimit.js";
export * from "./glob.js";
export * from "./rbac.js";
export * from "./rbac-policy.js";
export * from "./authenticate.js";
export * from "./apitoken-store.js";
export * from "./oidc-config.js";
export * from "./oidc-state.js";
export * from "./oidc.js";
