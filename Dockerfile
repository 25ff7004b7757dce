# clari-mcp in Streamable HTTP mode. Build: docker build -t clari-mcp .
# Run:   docker run -p 3000:3000 -e CLARI_API_KEY=... -e CLARI_MCP_HTTP_TOKEN=... clari-mcp
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
COPY view ./view
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Binding 0.0.0.0 requires CLARI_MCP_HTTP_TOKEN; the server refuses to start without it.
CMD ["node", "dist/cli.js", "--transport", "http", "--host", "0.0.0.0", "--port", "3000", "--stateless"]
