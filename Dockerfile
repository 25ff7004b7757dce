# clari-mcp as a container: Streamable HTTP by default (stateless, for replicas behind a proxy),
# stdio when given arguments.
#
#   docker build -t clari-mcp .
#   HTTP:  docker run -p 3000:3000 -e CLARI_API_KEY -e CLARI_MCP_HTTP_TOKEN clari-mcp
#   stdio: docker run -i --rm -e CLARI_API_KEY clari-mcp --read-only     (an MCP client's command)
#          docker run -i --rm clari-mcp --sandbox                         (simulated data, no key)
#
# Node.js 24 LTS, pinned; the tests build with the same version from npm (scripts/node24).
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/node24/package.json ./scripts/node24/
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
COPY view ./view
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's own unprivileged user (uid 1000); exports are kept in its cache folder.
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
# Binding 0.0.0.0 requires a bearer token (CLARI_MCP_HTTP_TOKEN or CLARI_MCP_HTTP_TOKENS); without
# one the server refuses to start, in one line. Any arguments replace these (stdio by default).
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "3000", "--stateless"]
