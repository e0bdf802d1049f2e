# Backbeat in a container: one binary, data in the /data volume.
#   docker build -t backbeat .
#   docker run -d --name backbeat -p 8080:8080 -v backbeat-data:/data backbeat
# Both stages install their Debian packages with scripts/setup.sh, the same script `make` uses.

FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/setup.sh build && make build

FROM debian:bookworm-slim
COPY scripts/setup.sh /tmp/setup.sh
RUN /tmp/setup.sh runtime && rm -rf /tmp/setup.sh /var/lib/apt/lists/*
RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin backbeat \
    && mkdir -p /data && chown backbeat:backbeat /data && chmod 0750 /data
COPY --from=build /src/build/backbeat /usr/local/bin/backbeat
ENV BACKBEAT_LISTEN=0.0.0.0:8080 BACKBEAT_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
USER backbeat
WORKDIR /data
ENTRYPOINT ["backbeat"]
CMD ["serve"]
