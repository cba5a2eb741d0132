// The bodies sent: a Slack incoming-webhook message (`{text, blocks}`) or Tether's webhook JSON.
// Pure. Only the template values go in: never a URL, header or anything read from a Secret.
import type { TargetConfig, TriggerName } from "./config.js";
import type { TemplateValues } from "./template.js";
import { renderTemplate, slackEscape } from "./template.js";

export interface WebhookPayload {
  readonly trigger: TriggerName;
  readonly text: string;
  readonly app: { readonly namespace: string; readonly name: string; readonly project: string };
  readonly revision: string;
  readonly author: string;
  readonly commitMessage: string;
  readonly status: string;
  readonly detail: string;
  readonly time: string;
}

export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly unknown[];
}

export function buildPayload(
  type: TargetConfig["type"],
  template: string,
  values: TemplateValues,
  time: Date,
): WebhookPayload | SlackPayload {
  if (type === "slack") {
    const text = renderTemplate(template, values, slackEscape);
    const facts = [
      `*app* ${slackEscape(`${values.namespace}/${values.app}`)}`,
      `*project* ${slackEscape(values.project)}`,
      `*revision* ${slackEscape(values.revision.slice(0, 12) || "-")}`,
    ].join("  ·  ");
    return {
      text,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text } },
        { type: "context", elements: [{ type: "mrkdwn", text: facts }] },
      ],
    };
  }
  return {
    trigger: values.trigger as TriggerName,
    text: renderTemplate(template, values),
    app: { namespace: values.namespace, name: values.app, project: values.project },
    revision: values.revision,
    author: values.author,
    commitMessage: values.message,
    status: values.status,
    detail: values.detail,
    time: time.toISOString(),
  };
}
