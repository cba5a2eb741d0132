// The image automation's error vocabulary: a stable `reason` for conditions and tests, and a
// message naming the object, the registry repository or the Git branch at fault.
export type ImageErrorReason =
  | "InvalidSpec"
  | "RegistryUnreachable"
  | "AuthenticationFailed"
  | "RepositoryNotFound"
  | "RegistryError"
  | "NoMatchingTag"
  | "DependencyNotReady"
  | "GitFailed"
  | "PushConflict"
  | "UpdateFailed";

export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
