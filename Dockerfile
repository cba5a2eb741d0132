# Tether controller image.
#
# NOTE: not built in CI or by the tests yet: the development environment has no Docker engine.
# What it builds was checked piece by piece instead (the same `go build` flags as
# src/localcluster/binaries.ts, `npm run build`, and `node dist/cli/main.js controller`).
#
#   docker build -t tether:0.1.0 .
#   kubectl apply -k deploy/
#
# Stages: helm and kustomize are built from the pinned Go modules in build/components (the same
# module, package and -ldflags as src/localcluster/components.ts, so the image renders exactly
# what the tests render); the TypeScript is compiled with dev dependencies; the runtime image has
# only node, git, ssh, the compiled JS, production dependencies and the two tools.

# ---- helm and kustomize from the pinned modules ---------------------------------------------
FROM golang:1.25-bookworm AS tools
# Same settings as binaries.ts: no toolchain download, go.sum is the contract, static binaries.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
WORKDIR /src
COPY build/components/helm/ helm/
COPY build/components/kustomize/ kustomize/
# Versions must match HELM_VERSION and KUSTOMIZE_VERSION in src/localcluster/components.ts.
ARG HELM_VERSION=v3.19.5
ARG KUSTOMIZE_VERSION=v5.8.1
RUN cd helm && go build -trimpath -o /out/helm \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
      helm.sh/helm/v3/cmd/helm \
 && cd ../kustomize && go build -trimpath -o /out/kustomize \
      -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION}" \
      sigs.k8s.io/kustomize/kustomize/v5 \
 && /out/helm version --short && /out/kustomize version

# ---- compiled JavaScript ----------------------------------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
RUN npm run build

# ---- runtime ----------------------------------------------------------------------------------
FROM node:20-slim
# git (and ssh for ssh:// repositories) is how the source stage reads repositories.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/ dist/
COPY --from=tools /out/helm /out/kustomize /usr/local/bin/
# Found on PATH by `tether renderer` (see deploy/deployment.yaml, which sets the same).
ENV TETHER_HELM=helm TETHER_KUSTOMIZE=kustomize TETHER_CACHE=/var/cache/tether
# The image's unprivileged `node` user (uid 1000); the Deployment also enforces runAsNonRoot.
USER 1000:1000
# tini reaps helm/kustomize/git children and forwards SIGTERM, so the controller stops cleanly.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["controller"]
