# syntax=docker/dockerfile:1
# andns in a container: built (TypeScript → dist/, packed as `npm pack` packs it) in one stage,
# run by an unprivileged user in a second stage holding only the package and its runtime
# dependencies. Port 53 needs CAP_NET_BIND_SERVICE, given to the node binary as a file capability.
#   docker build -t andns .
#   docker run --rm -p 53:53/udp -p 53:53/tcp andns
# The container answers any client that reaches it: publish port 53 only where you mean to.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No scripts yet: `prepare` builds, and the sources are not here yet.
RUN npm ci --ignore-scripts
COPY tsconfig.json root.hints root.ds LICENSE README.md ./
COPY packaging ./packaging
COPY src ./src
COPY test ./test
COPY loadtest ./loadtest
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir -p /opt/andns \
 && tar -xzf /tmp/andns-*.tgz -C /opt/andns --strip-components=1 \
 && cp package-lock.json /opt/andns/ \
 && cd /opt/andns \
 && npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force

FROM ${NODE_IMAGE}
# setcap from libcap2-bin, removed again once node carries the capability.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")" \
 && apt-get purge -y libcap2-bin \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system andns \
 && useradd --system --gid andns --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin andns \
 && mkdir -p /etc/andns
COPY --from=build /opt/andns /opt/andns
ENV NODE_ENV=production
# Resident memory follows the memory budget (README, Memory): two glibc malloc arenas instead of
# one per thread, and (below) a 2 MiB young generation instead of Node 24's up to 64 MiB.
ENV MALLOC_ARENA_MAX=2
USER andns
WORKDIR /opt/andns
EXPOSE 53/udp 53/tcp 9153/tcp
# /readyz on the operations listener: 200 once listening and the canary resolution succeeded
# recently, 503 while draining. Node's fetch: no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9153/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself (docker stop), drains, and exits 0.
ENTRYPOINT ["node", "--max-semi-space-size=2", "/opt/andns/dist/src/cli/andns.js"]
# Every address of the container; metrics, /healthz and /readyz on 9153 (keep it unpublished,
# or on a management network: it has no authentication). A config: mount it at
# /etc/andns/andns.json and add --config /etc/andns/andns.json.
CMD ["serve", "--listen", "0.0.0.0:53", "--metrics", "0.0.0.0:9153"]
