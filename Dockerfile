# One image, one stage per app: `docker build --target matcher .`
# Internal packages are TypeScript source, run with tsx (no build step).
FROM node:20.19-bookworm-slim AS base
ENV PNPM_VERSION=12.4.2 NODE_ENV=production
WORKDIR /app
RUN npm install -g pnpm@${PNPM_VERSION}
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY fixtures ./fixtures
RUN pnpm install --frozen-lockfile
USER node

FROM base AS config-api
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["node", "apps/herald/bin/herald.js", "config-api"]

FROM base AS matcher
ENV HOST=0.0.0.0 HEALTH_PORT=8081
EXPOSE 8081
CMD ["node", "apps/herald/bin/herald.js", "matcher"]

FROM base AS delivery
ENV HOST=0.0.0.0 HEALTH_PORT=8082
EXPOSE 8082
CMD ["node", "apps/herald/bin/herald.js", "delivery"]
