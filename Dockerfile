# syntax=docker/dockerfile:1
# One image for every container of docker-compose.yml: `node bin/egress.js <command>`
# (service, sft-agent, stub-nifi, stub-dks, provision, certs, sandbox, …). There is no build step:
# the TypeScript sources run through tsx, as they do on a laptop.
ARG NODE_IMAGE=node:20.20.2-slim

# --- dependencies: production packages only, exactly as locked ---------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (esbuild's binary and classic-level's prebuilds ship in
# their packages), so none is run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY stubs ./stubs
COPY config ./config
# Mount points for the compose volumes, owned by the unprivileged user so new volumes are too.
RUN mkdir -p /data/certs /data/sft-root && chown -R node:node /data /app
USER node
ENTRYPOINT ["node", "bin/egress.js"]
CMD ["--help"]
