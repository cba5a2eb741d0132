// Message templates: `{{app}} failed to sync {{revision}}` with a fixed set of placeholders, filled
// by plain string substitution in one pass. No expressions, no code: a value that itself contains
// `{{…}}` stays literal text, and an unknown placeholder is a config error, found when the config is
// read rather than when a message is due.

export const PLACEHOLDERS = [
  "app",
  "namespace",
  "project",
  "revision",
  "author",
  "message",
  "status",
  "detail",
  "trigger",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Readonly<Record<Placeholder, string>>;

// No `\s*` around the name: with the lazy name between them, a `{{` followed by a few thousand
// spaces and no `}}` took the regex engine minutes (found by fuzzing). The name is trimmed instead.
const PATTERN = /\{\{([^{}]*)\}\}/g;
/** Longest text a template or one value may contribute (Slack's limit for `text` is 40k). */
export const MAX_TEMPLATE_LENGTH = 4_000;
const MAX_VALUE_LENGTH = 1_000;

/** The unknown placeholders of `template` (empty when it is valid). */
export function unknownPlaceholders(template: string): string[] {
  const unknown: string[] = [];
  for (const match of template.matchAll(PATTERN)) {
    const name = (match[1] ?? "").trim();
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) unknown.push(name);
  }
  return unknown;
}

function clip(value: string): string {
  return value.length > MAX_VALUE_LENGTH ? `${value.slice(0, MAX_VALUE_LENGTH - 3)}...` : value;
}

/**
 * Fills the placeholders; `escape` is applied to each value (not to the template's own text), so a
 * Slack template may use mrkdwn while values from Git cannot inject any.
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  escape: (value: string) => string = (v) => v,
): string {
  return template.replace(PATTERN, (whole, inner: string) => {
    const name = inner.trim();
    return (PLACEHOLDERS as readonly string[]).includes(name)
      ? escape(clip(values[name as Placeholder]))
      : whole;
  });
}

/** Slack's mrkdwn escaping: `&`, `<`, `>` (links and mentions cannot be smuggled in by a value). */
export function slackEscape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
