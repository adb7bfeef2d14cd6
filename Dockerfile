# The maturity service in a small image: build with the Rust toolchain only
# (protos compile without protoc), run as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
COPY --from=build /src/target/release/maturity /usr/local/bin/maturity
COPY scripts /scripts
USER 65532:65532
EXPOSE 50051 9090
ENTRYPOINT ["maturity"]
CMD ["serve", "--listen", "0.0.0.0:50051", "--metrics-listen", "0.0.0.0:9090"]
