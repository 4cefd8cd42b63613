# wxlive image: `docker build -t wxlive .`, then run it with compose.yaml (or any orchestrator) and
# the settings of .env.example as environment variables.
#
# Base: node:24-bookworm-slim, the current LTS (Node 20 left support in April 2026). Debian 12
# (glibc) rather than Alpine (musl): the machine the test suite and .ci/run run on is Debian 12 too,
# so the image uses the libc and distribution the service is tested on, and the build stage picks
# the same prebuilt native dev tools as that machine (oxlint, rolldown and lightningcss ship
# separate glibc and musl builds). Alpine's base image is smaller; nothing in the app needs it.
#
# The build compiles tsconfig.build.json, which leaves out the WeChat simulator and the demo: the
# image ships neither.

# --- build: every dependency, compile TypeScript to dist/ ----------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app

# Manifests first: the dependency layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
# Install scripts that run: esbuild's (pulled in by dev tools) and @apollo/protobufjs's (a mkdir).
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, dist/ and the migrations -----------------------------------
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production

# package.json must ship: its "type": "module" is what makes Node load dist/*.js as ES modules.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY --from=build /app/dist ./dist
# Applied at start-up from ../../drizzle relative to dist/db/migrate.js, i.e. /app/drizzle.
COPY drizzle ./drizzle
# The admin CLI's entry (`node bin/wxlive.js …` or `node dist/cli/wxlive.main.js …`).
COPY bin ./bin

# Files stay owned by root, so the process cannot rewrite its own code; it writes nothing to disk.
USER node

EXPOSE 4000
# /healthz only says the process serves HTTP. /readyz (MySQL and Redis answer) belongs to load
# balancers: an orchestrator that replaces unhealthy containers should not replace every instance
# over a Redis blip. fetch is built into Node, so the image needs neither curl nor wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

# Node itself is PID 1: src/main.ts handles SIGTERM (stops jobs, drains HTTP, closes the pools).
# The same heap cap as `npm start`: V8 otherwise lets garbage pile up to ~1 GiB during a 50,000-room
# sync whose live data stays under 256 MiB (see docs/benchmarks.md).
ENV WXLIVE_MAX_HEAP_MB=384
CMD ["sh", "-c", "exec node --max-old-space-size=${WXLIVE_MAX_HEAP_MB} dist/main.js"]
