# syntax=docker/dockerfile:1
# One image for every container of docker-compose.yml: `node bin/egress.js <command>`
# (service, sft-agent, stub-nifi, stub-dks, provision, certs, describe-stack, sandbox, …), plus a
# `test` stage for the compose `bdd` service. There is no build step:
# the TypeScript sources run through tsx, as they do on a laptop.
ARG NODE_IMAGE=node:20.20.2-slim

# --- dependencies: production packages only, exactly as locked ---------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (esbuild's binary and classic-level's prebuilds ship in
# their packages), so none is run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- test: the Gherkin scenarios against a running stack ------------------------------------------
# `docker compose --profile bdd run --rm bdd` (EGRESS_TARGET=external, sandbox.json from the
# stack-file service). All dependencies, the features and the steps; not part of the runtime image,
# which stays the last (default) stage.
FROM ${NODE_IMAGE} AS test
ENV AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json cucumber.mjs ./
COPY bin ./bin
COPY src ./src
COPY stubs ./stubs
COPY config ./config
COPY features ./features
COPY steps ./steps
RUN mkdir -p /data/certs /data/sft-root /data/logs /data/state /app/reports && chown -R node:node /data /app
USER node
ENTRYPOINT ["npm", "run", "--silent"]
CMD ["test:bdd"]

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
RUN mkdir -p /data/certs /data/sft-root /data/logs /data/state && chown -R node:node /data /app
USER node
ENTRYPOINT ["node", "bin/egress.js"]
CMD ["--help"]
