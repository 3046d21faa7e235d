# syntax=docker/dockerfile:1
# The GPU worker: CUDA 11.2 and cuDNN 8.1, what @tensorflow/tfjs-node-gpu 4.22 needs (it loads libtensorflow
# 2.9.1, built for those versions), with GRADES_BACKEND=tensorflow so a worker without a usable GPU stack stops
# at start instead of training on the CPU. Build from the repository root (the tfjs-node-gpu install downloads
# libtensorflow, so the build machine needs internet access):
#   docker build -f infra/docker/gpu-worker.Dockerfile -t grades-finetune-gpu .
#   docker run --gpus all grades-finetune-gpu
# Needs the NVIDIA driver (>= 460.32) and the NVIDIA Container Toolkit on the host.
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
# Bullseye's glibc (2.31) is Ubuntu 20.04's: the native addon built here loads in the CUDA image.
ARG NODE_IMAGE=node:20-bullseye-slim
ARG TFJS_NODE_GPU_VERSION=4.22.0

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --workspaces=false on every install: the lock also lists the sdk/ workspace, which no image needs. With sdk/
# copied, its `prepare` script would build the SDK with tsc (absent under --omit=dev; sdk/package.json alone has
# no sources) and fail the install; without the flag, npm only happens to skip the missing folder.
# --ignore-scripts: the project's postinstall builds the OpenBLAS binding of the wasm backend's matmuls, which a
# worker on the tensorflow backend never uses (and its sources are not copied yet).
RUN npm ci --ignore-scripts --workspaces=false --no-audit --no-fund
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

# Production dependencies plus the optional native peer dependency; its install script fetches libtensorflow.
FROM ${NODE_IMAGE} AS deps
ARG TFJS_NODE_GPU_VERSION
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --workspaces=false --no-audit --no-fund \
 && npm install --omit=dev --workspaces=false --no-save --no-audit --no-fund "@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}" \
 && npm cache clean --force

FROM ${CUDA_IMAGE}
ENV NODE_ENV=production \
    GRADES_BACKEND=tensorflow \
    GRADES_WORKER_HTTP_PORT=9464 \
    GRADES_DATA_DIR=/data \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN groupadd --gid 1000 grades \
 && useradd --uid 1000 --gid grades --create-home --shell /usr/sbin/nologin grades \
 && mkdir -p /data \
 && chown grades:grades /data
USER grades
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["node", "dist/infra/healthcheck.js"]
CMD ["node", "dist/infra/worker.js"]
