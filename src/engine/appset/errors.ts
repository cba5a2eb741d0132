// The ApplicationSet's errors: each names where it happened (a generator such as
// `spec.generators[1].git`, or a template field such as `template.spec.source.path`), so the
// `ErrorOccurred` condition tells the user what to fix.

export type ApplicationSetErrorReason = "GeneratorError" | "TemplateError" | "InvalidSpec";

export class ApplicationSetError extends Error {
  override readonly name = "ApplicationSetError";
  constructor(
    readonly reason: ApplicationSetErrorReason,
    /** The generator path or template field at fault. */
    readonly where: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${where}: ${message}`, options);
  }
}
