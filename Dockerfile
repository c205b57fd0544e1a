# syntax=docker/dockerfile:1
#
# preflight as a container image. It holds one statically linked file and nothing else,
# so other Dockerfiles can copy it into a build stage (docs/docker.md):
#
#   docker build -t preflight .
#   docker buildx build --platform linux/amd64,linux/arm64 -t preflight .
#   docker run --rm -v "$PWD:/work" preflight scan /work/dist --target debian-12
#
# The build stage runs on Alpine, whose Rust targets are the musl ones. A musl binary
# is statically linked by default and needs no libc at run time, so it works in a
# scratch image and in any image it is copied into (glibc or musl, any distribution).
# scripts/build-static.sh runs the same build outside Docker.

FROM rust:1-alpine AS build
# Set by BuildKit from --platform (amd64 or arm64). Each platform is built natively, or
# under emulation, in its own Alpine stage: no cross compiler is needed.
ARG TARGETARCH
# musl-dev: the C start files and libc.so that cc needs to link the proc-macro crates
# (clap, serde and thiserror derives). Not pinned: Alpine's repositories keep only the
# current build of a package, so a pinned version stops resolving at its next update;
# the rust:1-alpine tag already decides the Alpine release.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    case "${TARGETARCH:-amd64}" in \
      amd64) triple=x86_64-unknown-linux-musl ;; \
      arm64) triple=aarch64-unknown-linux-musl ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
    && cargo build --release --locked --target "$triple" \
    && mkdir -p /out \
    && cp "target/$triple/release/preflight" /out/preflight \
    && /out/preflight --version

FROM scratch
LABEL org.opencontainers.image.title="preflight" \
      org.opencontainers.image.description="Check Linux binaries before they are deployed: will they load on the target host?" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /out/preflight /preflight
# scratch has no loader and no libc: this only runs if the binary is static.
RUN ["/preflight", "--version"]
# nobody: preflight only reads what it scans. To write a report (--output) into a
# mounted folder, run with --user "$(id -u):$(id -g)".
USER 65534:65534
WORKDIR /work
ENTRYPOINT ["/preflight"]
CMD ["--help"]
