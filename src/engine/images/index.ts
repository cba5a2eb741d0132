// Image update automation, the pure part: image references, tag policies, the Setters strategy
// and commit messages. The registry client and the loops that use these live in src/controller/images.
export * from "./errors.js";
export * from "./message.js";
export * from "./policy.js";
export * from "./reference.js";
export * from "./setters.js";
export * from "./credentials.js";
