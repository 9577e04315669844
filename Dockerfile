# Builds the single dialoghub binary (the web client is embedded in it).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dialoghub

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl tini && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/dialoghub /usr/local/bin/dialoghub
WORKDIR /var/lib/dialoghub
ENV DIALOGHUB_SERVER__HOST=0.0.0.0 \
    DIALOGHUB_SERVER__DATA_DIR=/var/lib/dialoghub \
    DIALOGHUB_STORE__URL=sqlite:///var/lib/dialoghub/dialoghub.db
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# Exec form under tini: SIGTERM from `docker stop` (or Kubernetes) reaches
# dialoghub, which closes every connection with 1012, finishes its commits and
# exits 0 within server.shutdown_grace_secs; tini reaps any child process.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "dialoghub"]
