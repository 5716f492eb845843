# Watchword: one static binary on distroless, running as nonroot.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t watchword .
#   docker run -d -p 8080:8080 -v watchword-data:/data watchword
#
# The builder's Go version must equal go.mod's `go` line
# (cmd/watchword/dockerfile_test.go checks it); .ci/run builds with the
# same flags as the RUN go build line below.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/watchword ./cmd/watchword \
 && /out/watchword version \
 && mkdir -p /out/data

# static-debian12 has CA certificates, tzdata (alert time zones) and
# /etc/passwd with the nonroot user (65532); no shell, no curl.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/watchword /usr/local/bin/watchword
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 8080
ENV WATCHWORD_LOG_FORMAT=json
# The server listens only after the index has caught up with the store (a
# rebuild after an upgrade can take minutes), hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["/usr/local/bin/watchword", "healthcheck", "--url", "http://127.0.0.1:8080/readyz", "--timeout", "8s"]
ENTRYPOINT ["/usr/local/bin/watchword"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
