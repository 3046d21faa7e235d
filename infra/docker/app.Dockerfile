# syntax=docker/dockerfile:1
# The API and the CPU worker: one image, the role chosen by the command. Build from the repository root:
#   docker build -f infra/docker/app.Dockerfile -t grades-finetune .
#   docker run -p 8080:8080 grades-finetune                          API (PORT 8080), /health and /metrics on it
#   docker run grades-finetune node dist/infra/worker.js             a worker (wasm backend), /health and
#                                                                     /metrics on GRADES_WORKER_HTTP_PORT (9464)
#   docker run grades-finetune node dist/infra/migrate.js            apply migrations and exit
#   docker run -p 8080:8080 -v grades:/data grades-finetune node dist/infra/start.js   all in one, embedded
# Every setting is an environment variable (docs/deploy.md).
ARG NODE_IMAGE=node:20-bookworm-slim

# Compiles the TypeScript with the dev dependencies (tsc, esbuild), which the final image does not carry.
FROM ${NODE_IMAGE} AS build
# The install compiles the OpenBLAS binding of the CPU worker's matmuls (worker/engine/kernels/blas/, built by
# the postinstall script): it needs a compiler and OpenBLAS's headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY infra/build/native-blas.mjs ./infra/build/
COPY worker/engine/kernels/blas ./worker/engine/kernels/blas
# --workspaces=false on every install: the lock also lists the sdk/ workspace, which no image needs. With sdk/
# copied, its `prepare` script would build the SDK with tsc (absent under --omit=dev; sdk/package.json alone has
# no sources) and fail the install; without the flag, npm only happens to skip the missing folder.
RUN npm ci --workspaces=false --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY cli ./cli
COPY common ./common
COPY db ./db
COPY infra ./infra
COPY metrics ./metrics
COPY models ./models
COPY worker ./worker
RUN npm run build

# The production dependencies only (npm ci --omit=dev). --ignore-scripts: none of them has an install script, and
# the binding the project's own postinstall builds comes from the build stage, inside dist/.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --workspaces=false --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=8080 \
    GRADES_WORKER_HTTP_PORT=9464 \
    GRADES_DATA_DIR=/data
# OpenBLAS itself, which the binding built in the build stage links to.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# /data: PGlite's folder in the embedded form, the workers' input cache in the distributed one.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080 9464
# The processes drain on SIGTERM (a worker checkpoints and hands its job back); give them the grace period.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "dist/infra/healthcheck.js"]
CMD ["node", "dist/infra/api.js"]
