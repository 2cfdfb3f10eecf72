# syntax=docker/dockerfile:1
# Switchyard's images: one Dockerfile, one target per program, built from the repository root.
#
#   docker build --target namerd      -t registry.invalid/switchyard/namerd:0.1.0 .
#   docker build --target proxy       -t registry.invalid/switchyard/proxy:0.1.0 .
#   docker build --target namerctl    -t registry.invalid/switchyard/namerctl:0.1.0 .
#   docker build --target hello-world -t registry.invalid/switchyard/hello-world:0.1.0 .   # deploy/examples
#
# registry.invalid is the name deploy/ uses until you set your own registry (docs/kubernetes.md,
# "Images"): it can never resolve, so a cluster cannot pull an image someone else published.
#
# The workspace is installed and built once (stage `build`); each program is then copied out
# with `pnpm deploy --prod`: its compiled dist/, its bin/ and its production dependencies
# (workspace packages included, as their own dist/), nothing else. The final images are Node
# 24 on Debian slim without npm, running as an unprivileged numeric user, so a pod's
# runAsNonRoot can be checked. test/deploy/dockerfile.test.ts checks this file; no image was
# built where it was written (docs/kubernetes.md, "Images").

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
# The version in package.json's packageManager (test/deploy checks that they agree).
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-audit --no-fund --loglevel=error pnpm@${PNPM_VERSION}
WORKDIR /src
# Every package the lockfile names, into pnpm's store: this layer is rebuilt only when the
# lockfile changes, not on every source edit.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline \
 && pnpm run build
# --legacy: the workspace does not inject its packages; deploy copies each one's `files`.
RUN pnpm --filter @switchyard/namerd deploy --prod --legacy /out/namerd \
 && pnpm --filter @switchyard/proxy deploy --prod --legacy /out/proxy \
 && pnpm --filter @switchyard/namerctl deploy --prod --legacy /out/namerctl

# The base of every final image: Node without the package managers (smaller, and nothing
# that installs code at run time), as user 65532.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
WORKDIR /app
USER 65532:65532

FROM runtime AS namerd
COPY --from=build /out/namerd /app
EXPOSE 4180
ENTRYPOINT ["node", "/app/bin/namerd.js"]
CMD ["--help"]

FROM runtime AS proxy
COPY --from=build /out/proxy /app
EXPOSE 4140 4141 9990
# The V8 flags of bin/switchyard-proxy.js's shebang (decisions.md §3), given to node here.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=50", "--no-allocation-site-pretenuring", "/app/bin/switchyard-proxy.js"]
CMD ["--help"]

FROM runtime AS namerctl
COPY --from=build /out/namerctl /app
ENTRYPOINT ["node", "/app/bin/namerctl.js"]
CMD ["--help"]

# The demo's sample services (examples/hello-world), for deploy/examples/hello-world. They use
# only node's own modules and erasable TypeScript, which Node 24 runs as it is.
FROM runtime AS hello-world
COPY examples/hello-world/hello.ts examples/hello-world/world.ts /app/
EXPOSE 7777 7778
ENTRYPOINT ["node"]
CMD ["world.ts", "--host=0.0.0.0", "--port=7778"]
