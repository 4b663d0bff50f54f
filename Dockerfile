# The `pipeline` command as an image: `pipeline worker` by default, any other subcommand as the
# container's arguments (e.g. `docker compose run --rm pipeline-worker connections list`).
# Used by temporal-docker-compose.yml. The sources run through tsx, as in a clone; the one thing
# built is the workflow bundle (below).
#
# Debian slim rather than Alpine: @temporalio/core-bridge ships prebuilt glibc binaries only.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (tsx is one: bin/pipeline.mjs runs the TypeScript through it).
# package.json "allowScripts" denies every install script in the lockfile (@swc/core, protobufjs,
# esbuild): their prebuilt binaries come from optional dependencies. The npm 10 bundled with
# Node 20 does not read allowScripts, so --ignore-scripts applies the same decision here
# (test/unit/deploy checks that no lockfile package with an install script is allowed).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
# PIPELINE_HOME: local state (JSONL data, connections file) when the PostgreSQL sink and store
# are not used; ./.pipeline under the read-only /app would not be writable.
ENV NODE_ENV=production PIPELINE_HOME=/var/lib/pipeline
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package*.json tsconfig.json ./
COPY bin/ ./bin/
COPY src/ ./src/
COPY workflows/ ./workflows/
COPY activities/ ./activities/
# The workflow bundle, built once here (webpack, a few seconds) instead of at every container start:
# dist/workflow-bundle.js and its manifest, root-owned and read-only like the code. `npm ci` above
# skips the "prepare" script that builds it in a clone, so it is run here. The worker checks it
# against the sources and the SDK at start and says in its log which bundle it runs
# (src/temporal/workflow-bundle.ts); with NODE_ENV=production it never writes one.
COPY scripts/build-workflow-bundle.ts ./scripts/
RUN node --import tsx scripts/build-workflow-bundle.ts
# The code stays root-owned and read-only to the process; only its state folder is writable.
RUN mkdir -p /var/lib/pipeline && chown node:node /var/lib/pipeline
USER node
ENTRYPOINT ["node", "bin/pipeline.mjs"]
CMD ["worker"]
