# syntax=docker/dockerfile:1
# One image for the worker and the HTTP API; docker-compose.yml picks the command
# (node dist/src/worker/main.js or node dist/src/api/main.js). Debian slim, not Alpine: the
# Temporal SDK's native core ships glibc builds only.

# Build: all dependencies, compile TypeScript, prebuild the workflow bundle, then drop the dev
# dependencies so the runtime stage copies production ones only.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# = tsc -p tsconfig.build.json && node dist/src/worker/build-bundle.js (dist/workflow-bundle.js),
# so a worker starts without webpack.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# Runtime: compiled output, production node_modules, the runbook library, config and the CLI;
# files owned by root and read-only to the unprivileged user the processes run as.
FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY runbooks ./runbooks
COPY config ./config
# The `runbook` CLI, for `docker compose exec api bin/runbook ...`.
COPY bin ./bin
USER node
# API (RUNBOOKS_API_PORT) and worker metrics (RUNBOOKS_WORKER_METRICS_PORT).
EXPOSE 8080 9464
CMD ["node", "dist/src/worker/main.js"]
