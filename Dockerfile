# One image per binary: docker build --build-arg SERVICE=<binary> .
# SERVICE names any executable the build produces: a service
# (services/NAME/NAME) or a demo program (sn-testpub, sn-testsub).
#
# The build stage compiles the whole tree once, before SERVICE is used, so
# every image shares that layer from the cache.
#
# No secret is built in: certificates, keys and passwords arrive at run
# time as compose secrets under /run/secrets (deploy/compose/secrets.sh),
# named by <NAME>_FILE settings. The program runs as the unprivileged user
# safetynet, which must be able to read them (secrets.sh makes the files
# mode 644 in a mode-700 folder).

FROM debian:bookworm AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential cmake pkg-config \
		libnng-dev libprotobuf-c-dev protobuf-c-compiler \
		libpq-dev libuv1-dev libmicrohttpd-dev libjansson-dev \
		libcmocka-dev libjwt-dev libssl-dev libsodium-dev libcurl4-openssl-dev \
		libxml2-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the sources: no build/, .run/ or .git from the working tree.
COPY CMakeLists.txt ./
COPY proto ./proto
COPY libcommon ./libcommon
COPY services ./services
COPY tests ./tests
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	&& cmake --build /build -j"$(nproc)"

ARG SERVICE
RUN set -eu; \
	if [ -z "${SERVICE:-}" ]; then \
		echo "build with --build-arg SERVICE=<binary>" >&2; exit 1; \
	fi; \
	bin=$(find /build -type f -name "$SERVICE" -perm -u+x | head -n 1); \
	if [ -z "$bin" ]; then \
		echo "no executable named $SERVICE in the build" >&2; exit 1; \
	fi; \
	mkdir -p /out/bin /out/schema /out/seed /out/xsd; \
	cp "$bin" /out/bin/; \
	case "$SERVICE" in \
	sn-testpub|sn-testsub) schema=/src/tests/bus/schema ;; \
	*) schema="/src/services/$SERVICE/schema" ;; \
	esac; \
	if [ -d "$schema" ]; then cp -R "$schema/." /out/schema/; fi; \
	seed="/src/services/$SERVICE/seed"; \
	if [ -d "$seed" ]; then cp -R "$seed/." /out/seed/; fi; \
	case "$SERVICE" in \
	bank-gateway|bank-sim) cp -R /src/services/bank-gateway/xsd/. /out/xsd/ ;; \
	esac

FROM debian:bookworm-slim
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libnng1 libprotobuf-c1 libpq5 libuv1 libmicrohttpd12 libjansson4 libjwt0 \
		libsodium23 libssl3 libcurl4 libxml2 \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --no-create-home --shell /usr/sbin/nologin safetynet
ARG SERVICE
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/schema/ /usr/share/safetynet/${SERVICE}/schema/
# Data files a service loads at start (services/NAME/seed: the services
# service's departments and projects; docker-compose.yml names the folder
# in SN_<NAME>_SEED_DIR). Empty for the others.
COPY --from=build /out/seed/ /usr/share/safetynet/${SERVICE}/seed/
# The official ISO 20022 XSDs (issue 14) for bank-gateway and bank-sim
# (SN_BANK_GATEWAY_XSD_DIR, SN_BANK_SIM_XSD_DIR); empty for the others.
COPY --from=build /out/xsd/ /usr/share/safetynet/${SERVICE}/xsd/
# A fixed name for the exec-form ENTRYPOINT and HEALTHCHECK, which cannot
# expand ARG or ENV.
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/sn-service
ENV SN_SCHEMA_DIR=/usr/share/safetynet/${SERVICE}/schema \
	SN_HTTP_PORT=8080
USER safetynet
EXPOSE 8080
# --probe: the binary GETs its own /readyz (slim has no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
	CMD ["/usr/local/bin/sn-service", "--probe"]
ENTRYPOINT ["/usr/local/bin/sn-service"]
