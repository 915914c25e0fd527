# One image, one target per app: `docker build --target matcher .`
#
# The build stage installs the workspace with its dev tools, builds every app into one plain
# JavaScript bundle (scripts/bundle-app.ts, esbuild) and the console into static files, then
# scripts/ship.sh copies what runs, and only that, into /out. The runtime stages are Node.js and
# /out: no TypeScript source, no tsx, no pnpm, no dev dependency, and they run as the `node` user.
FROM node:20.19-bookworm-slim AS build
ENV PNPM_VERSION=12.4.2
WORKDIR /src
# python3, make and g++: the install builds better-sqlite3 (embedded mode's SQLite addon) from
# Node's headers when its prebuilt binary cannot be downloaded (scripts/native-build.sh).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@${PNPM_VERSION}
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build && bash scripts/ship.sh /out

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /out ./
USER node

FROM runtime AS config-api
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["node", "apps/herald/bin/herald.js", "config-api"]

FROM runtime AS matcher
ENV HOST=0.0.0.0 HEALTH_PORT=8081
EXPOSE 8081
CMD ["node", "apps/herald/bin/herald.js", "matcher"]

FROM runtime AS delivery
ENV HOST=0.0.0.0 HEALTH_PORT=8082
EXPOSE 8082
CMD ["node", "apps/herald/bin/herald.js", "delivery"]
