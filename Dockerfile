# convox-workflows as a sidecar: built on Debian bookworm with the -dev
# packages, run on bookworm-slim with only the runtime libraries. Every flag
# is also an environment variable (CONVOX_WORKFLOWS_<FLAG>); secrets can come
# from files (GITHUB_TOKEN_FILE, GITLAB_TOKEN_FILE, CONVOX_PASSWORD_FILE,
# CONVOX_WORKFLOWS_API_TOKEN_FILE). See docs/deploy.md.
#
#   podman build --format docker -t convox-workflows .     (or docker build)
#   BASE_IMAGE / RUNTIME_IMAGE: a local base instead of Docker Hub's.
ARG BASE_IMAGE=docker.io/library/debian:bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libyaml-cpp-dev libgit2-dev libcpp-httplib-dev libsqlite3-dev \
      libsqlitecpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libssl-dev libkainjow-mustache-dev \
 && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt /src/
COPY src /src/src
COPY schema /src/schema
COPY web /src/web
# Release (-O3), stripped: a crash is reproduced from the same commit's
# RelWithDebInfo build, so the image carries no debug info. CWF_WERROR=ON
# (the container test) makes a warning fail the build.
ARG CWF_WERROR=OFF
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWF_BUILD_TESTS=OFF -DCWF_WERROR=${CWF_WERROR} \
 && cmake --build /build --target convox-workflows \
 && strip /build/convox-workflows

FROM ${RUNTIME_IMAGE}
# The libraries the binary links, and the CA certificates HTTPS (git, the
# forges' APIs, health checks) verifies against. tini reaps the tasks' orphans.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libgit2-1.5 libyaml-cpp0.7 libcpp-httplib0.11 libsqlite3-0 libfmt9 libssl3 tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin convox-workflows \
 && mkdir -p /data && chown convox-workflows: /data
COPY --from=build /build/convox-workflows /usr/local/bin/convox-workflows
USER 10001
# Probes get a listener of their own (8081), so a busy API never fails them.
ENV CONVOX_WORKFLOWS_LISTEN=0.0.0.0:8080 \
    CONVOX_WORKFLOWS_HEALTH_LISTEN=0.0.0.0:8081 \
    CONVOX_WORKFLOWS_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["convox-workflows", "healthcheck"]
ENTRYPOINT ["tini", "--", "convox-workflows", "run"]
