// Image references as Docker and the registry API understand them. Pure.
//   nginx                    → registry-1.docker.io, library/nginx
//   ghcr.io/org/app:1.2      → ghcr.io, org/app, tag 1.2
//   127.0.0.1:5000/app@sha…  → 127.0.0.1:5000, app, digest
export interface ImageName {
  /** Host (and port) of the registry API. */
  readonly registry: string;
  /** Repository path inside the registry. */
  readonly repository: string;
  /** The name as written by users (no tag), used in messages and to rebuild `name:tag`. */
  readonly name: string;
}

export interface ImageReference extends ImageName {
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB = "registry-1.docker.io";
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class InvalidImageReference extends Error {
  override readonly name = "InvalidImageReference";
}

/** Parses `[registry/]repo[:tag][@digest]`; throws InvalidImageReference naming the input. */
export function parseImageReference(text: string): ImageReference {
  const raw = text.trim();
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidImageReference(`image "${raw}": tag "${tag}" is not a valid tag`);
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  const hasRegistry =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : DOCKER_HUB;
  const pathParts = hasRegistry ? parts.slice(1) : parts;
  if (pathParts.length === 0 || !pathParts.every((p) => COMPONENT.test(p))) {
    throw new InvalidImageReference(
      `image "${raw}": "${pathParts.join("/")}" is not a valid repository name`,
    );
  }
  const repository =
    registry === DOCKER_HUB && pathParts.length === 1 ? `library/${pathParts[0]}` : pathParts.join("/");
  return { registry, repository, name: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Parses an image name that must carry no tag or digest (ImageRepository.spec.image). */
export function parseImageName(text: string): ImageName {
  const ref = parseImageReference(text);
  if (ref.tag || ref.digest) {
    throw new InvalidImageReference(`image "${text}": give the name without a tag or digest`);
  }
  return { registry: ref.registry, repository: ref.repository, name: ref.name };
}
