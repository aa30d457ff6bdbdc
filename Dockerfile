# Kho: build the release binary, run it on a slim Debian image as an unprivileged user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kho

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/kho kho && mkdir -p /var/lib/kho && chown kho /var/lib/kho
COPY --from=build /src/target/release/kho /usr/local/bin/kho
COPY --from=build /src/keys-dev /opt/kho/keys-dev
USER kho
WORKDIR /var/lib/kho
ENV KHO_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["kho"]
CMD ["serve"]
