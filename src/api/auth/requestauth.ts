// The caller of an API request as handlers see it. Its own module because both the middleware that
// sets it (../authn.ts) and the auth routes that read it (./routes) need it, and those two must not
// import each other.
import type { Action, AppRef, Subject } from "./rbac.js";
import type { SessionPayload } from "./sessions.js";

/** What a handler may do for the caller; set by the middleware on every authenticated request. */
export interface RequestAuth {
  subject: Subject;
  via: "api-token" | "session-bearer" | "session-cookie";
  session?: SessionPayload;
  can(action: Action, app: AppRef): boolean;
  /**
   * The same credentials checked again now, with the RBAC policy of now: undefined once they no
   * longer pass (revoked token, logged-out session, password changed, expired). Long-lived
   * responses (the event stream) call it, so they end when the credential does.
   */
  recheck(): Promise<RequestAuth | undefined>;
}

declare module "hono" {
  interface ContextVariableMap {
    tetherAuth: RequestAuth | undefined;
  }
}
