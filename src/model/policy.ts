// The Policy resource (tether.dev/v1alpha1): custom policy-gate rules kept as Kubernetes objects in
// Tether's system namespace, next to the ConfigMap `tether-policies` (both are read, and reloaded
// on change). A project selects rules by id in `spec.policy.rules`. The CRD schema in deploy/ is
// checked against these types by a test.
import type { API_VERSION, ObjectMeta } from "./application.js";

/** Which objects a rule judges: both lists are globs; empty or left out matches every group/kind. */
export interface PolicyMatch {
  /** API groups ("" is the core group). */
  groups?: string[];
  kinds?: string[];
}

export interface PolicyRuleSpec {
  /** Unique among all rules (built-in ones included); what projects name in spec.policy.rules. */
  id: string;
  match?: PolicyMatch;
  /** CEL bool: true means the object is allowed. */
  rule: string;
  /** Plain text shown for a violation. */
  message?: string;
  /** CEL string shown for a violation (wins over `message`). */
  messageExpression?: string;
  description?: string;
}

export interface PolicySpec {
  rules: PolicyRuleSpec[];
}

export interface Policy {
  apiVersion: typeof API_VERSION;
  kind: "Policy";
  metadata: ObjectMeta;
  spec: PolicySpec;
}
