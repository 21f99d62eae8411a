# syntax=docker/dockerfile:1
#
# LiveKit token server image. One Dockerfile for every interchangeable backend
# (cross_backend::backends::BACKENDS):
#   docker build -t livekit-token-server .                                  # server-axum
#   docker build --build-arg BACKEND=server-actix -t livekit-token-server .
#   docker build --build-arg BACKEND=server-warp  -t livekit-token-server .
#   docker build --build-arg BACKEND=server-poem  -t livekit-token-server .
#   docker build --build-arg BACKEND=server-salvo -t livekit-token-server .
#   docker build --build-arg BACKEND=server-hyper -t livekit-token-server .
#   docker build --target conformance -t token-conformance .                # the suite
# Needs BuildKit (the default builder of current Docker) for the cache mounts.
# Written without a container engine at hand, never built: CI checks it with hadolint
# (.ci/check-deploy).

# ---- build stage -------------------------------------------------------------
# Bookworm, like the runtime image below, so the glibc the binary links against matches.
# The toolchain is pinned; the workspace's rust-version (MSRV) is 1.88.
FROM rust:1.95-bookworm AS build
ARG BACKEND=server-axum
WORKDIR /src
# The whole workspace: every member in Cargo.toml must be present for cargo to resolve it.
COPY . .
# The cache mounts keep the registry and target/ between builds; since target/ is a mount,
# the binary is copied out to a fixed path in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p "${BACKEND}" --bin "${BACKEND}" \
 && mkdir -p /app \
 && cp "target/release/${BACKEND}" /app/token-server

# ---- conformance CLI image (`docker build --target conformance -t token-conformance .`) --
# The suite alone, to judge any token server from CI. Debian slim rather than distroless:
# `--spawn` runs the server's command through `sh`.
FROM build AS conformance-build
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p conformance --bin conformance \
 && cp target/release/conformance /app/conformance

FROM debian:bookworm-slim AS conformance
COPY --from=conformance-build /app/conformance /usr/local/bin/conformance
USER 65532:65532
ENTRYPOINT ["conformance"]

# ---- runtime stage (the default target) -------------------------------------
# Distroless "cc": glibc and libgcc only, no shell, no package manager. No TLS library is
# needed (the server speaks plain HTTP and mints tokens locally).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /app/token-server /app/token-server
# Numeric uid/gid (distroless "nonroot" = 65532) so Kubernetes runAsNonRoot can verify it.
USER 65532:65532
ENV SERVER_HOST=0.0.0.0 \
    SERVER_PORT=6080
EXPOSE 6080
# Prometheus metrics get a port of their own when METRICS_PORT is set (9090 in
# deploy/kubernetes/); key files and secret files are mounted, see LIVEKIT_KEY_FILE and
# LIVEKIT_API_SECRET_FILE in README.md.
# No shell or curl in distroless: the binary checks itself. `--health-check` sends
# GET /healthz to $SERVER_HOST:$SERVER_PORT (loopback for 0.0.0.0) and exits 0 on 200,
# 1 otherwise.
# (Kubernetes ignores HEALTHCHECK and uses the probes in deploy/kubernetes/ instead.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/app/token-server", "--health-check"]
# Exec form: the server is PID 1 and receives SIGTERM itself (it exits 0 after draining).
ENTRYPOINT ["/app/token-server"]
