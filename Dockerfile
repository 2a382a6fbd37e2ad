# One image for the four apps (and the provisioning / key tools); docker-compose.yml picks the entry point.
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY bench bench
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:26-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/apps/registry/web apps/registry/web
USER node
CMD ["node", "dist/apps/registry/src/main.js"]
