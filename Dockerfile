# One image per binary: docker build --build-arg SERVICE=<binary> .
# SERVICE names any executable the build produces: a service
# (services/NAME/NAME) or a demo program (sn-testpub, sn-testsub).
#
# The build stage compiles the whole tree once, before SERVICE is used, so
# every image shares that layer from the cache.
#
# The console's image also carries the staff console's web application
# (stage web: console/vendor.sh, npm ci from console/package-lock.json)
# in /usr/share/safetynet/console/web, where SN_CONSOLE_ROOT points.
#
# No secret is built in: certificates, keys and passwords arrive at run
# time as compose secrets under /run/secrets (deploy/compose/secrets.sh),
# named by <NAME>_FILE settings. The program runs as the unprivileged user
# safetynet, UID and GID 10001, given as numbers (USER 10001:10001) so that
# Kubernetes' runAsNonRoot can check it and the manifests' runAsUser 10001
# (deploy/k8s) is the image's own user; it must be able to read them
# (secrets.sh makes the files mode 644 in a mode-700 folder).
#
# Labels (OCI image annotations): version, revision and source come from
# build args, e.g.
#   docker build --build-arg SERVICE=intake \
#     --build-arg SN_REVISION="$(git rev-parse HEAD)" \
#     --build-arg SN_SOURCE=https://git.example.org/safetynet .
# SN_VERSION defaults to CMakeLists.txt's project version (the suite checks
# they agree).
#
# Both base images are pinned by digest (the multi-platform index digest),
# so a rebuild gets the same bytes. The digests are those docker-library/
# repo-info recorded for debian:bookworm and debian:bookworm-slim at its
# commit 05f354f0a08a211fdfed2f21845d1fccd389921d (repos/debian/remote/
# bookworm.md, bookworm-slim.md: Debian's snapshot of 2026-08-03). A pinned
# digest no longer receives Debian's security updates: refresh both at
# least with every Debian point release or security advisory that touches
# the runtime libraries (docker buildx imagetools inspect debian:bookworm-slim,
# or that repository's current files), and rebuild.

# The staff console's web application (console/web) with its libraries
# in web/vendor, filled by console/vendor.sh from npm with the lockfile
# (console/package-lock.json: npm ci, the exact versions and integrity
# hashes) using Debian's nodejs and npm. Nothing of node stays in an
# image: only the files are copied on, into the console's image alone
# (/usr/share/safetynet/console/web, its SN_CONSOLE_ROOT). npm ci reads the
# registry npm is configured with (console/.npmrc); behind a mirror, set
# npm's registry there.
FROM debian:bookworm@sha256:813017f3d62be4b5891a7acca6a01bdcd4b8513daa81b1ab99d3a50385b26931 AS web
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		ca-certificates nodejs npm \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY deploy/local/lib.sh ./deploy/local/
COPY console/package.json console/package-lock.json console/.npmrc console/vendor.sh ./console/
COPY console/web ./console/web
# A vendor/ left in the build context by a local run is made again.
RUN rm -rf console/web/vendor \
	&& bash console/vendor.sh \
	&& test -s console/web/vendor/preact.mjs \
	&& test -s console/web/vendor/hooks.mjs \
	&& test -s console/web/vendor/htm.mjs

FROM debian:bookworm@sha256:813017f3d62be4b5891a7acca6a01bdcd4b8513daa81b1ab99d3a50385b26931 AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential cmake pkg-config \
		libnng-dev libprotobuf-c-dev protobuf-c-compiler \
		libpq-dev libuv1-dev libmicrohttpd-dev libjansson-dev \
		libcmocka-dev libjwt-dev libssl-dev libsodium-dev libcurl4-openssl-dev \
		libxml2-dev zlib1g-dev \
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
# After the compiled tree, so that a change to the web files rebuilds
# only what follows.
COPY --from=web /src/console/web /src/console/web

ARG SERVICE
RUN set -eu; \
	if [ -z "${SERVICE:-}" ]; then \
		echo "build with --build-arg SERVICE=<binary>" >&2; exit 1; \
	fi; \
	bin=$(find /build -type f -name "$SERVICE" -perm -u+x | head -n 1); \
	if [ -z "$bin" ]; then \
		echo "no executable named $SERVICE in the build" >&2; exit 1; \
	fi; \
	mkdir -p /out/bin /out/schema /out/seed /out/xsd /out/web; \
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
	console) cp -R /src/console/web/. /out/web/ ;; \
	esac

FROM debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libnng1 libprotobuf-c1 libpq5 libuv1 libmicrohttpd12 libjansson4 libjwt0 \
		libsodium23 libssl3 libcurl4 libxml2 \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --system --gid 10001 safetynet \
	&& useradd --system --uid 10001 --gid 10001 --no-create-home \
		--shell /usr/sbin/nologin safetynet
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
# The console's web application (SN_CONSOLE_ROOT below; docker-compose.yml
# and deploy/k8s name it too); empty for the others.
COPY --from=build /out/web/ /usr/share/safetynet/${SERVICE}/web/
# A fixed name for the exec-form ENTRYPOINT and HEALTHCHECK, which cannot
# expand ARG or ENV. SN_SCHEMA_DIR must exist: the console has no
# migrations of its own (only the built-in tables), so its folder is made
# empty whatever COPY does with an empty source.
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/sn-service \
	&& mkdir -p "/usr/share/safetynet/${SERVICE}/schema"
ENV SN_SCHEMA_DIR=/usr/share/safetynet/${SERVICE}/schema \
	SN_CONSOLE_ROOT=/usr/share/safetynet/${SERVICE}/web \
	SN_HTTP_PORT=8080
# Numeric, as deploy/k8s's runAsUser and runAsGroup: 10001.
USER 10001:10001
EXPOSE 8080
# --probe: the binary GETs its own /readyz (slim has no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
	CMD ["/usr/local/bin/sn-service", "--probe"]
# Last, so that the layers above stay shared between revisions (an ARG's
# value is part of the cache key of every RUN after it). licenses says
# NOASSERTION (SPDX's word for "not stated") until the tree carries a
# licence.
ARG SN_VERSION=0.1.0
ARG SN_REVISION=unknown
ARG SN_SOURCE=unknown
LABEL org.opencontainers.image.title="safetynet ${SERVICE}" \
	org.opencontainers.image.description="safetynet's ${SERVICE} (one binary per image)" \
	org.opencontainers.image.version="${SN_VERSION}" \
	org.opencontainers.image.revision="${SN_REVISION}" \
	org.opencontainers.image.source="${SN_SOURCE}" \
	org.opencontainers.image.licenses="NOASSERTION" \
	org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim" \
	org.opencontainers.image.base.digest="sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241"
ENTRYPOINT ["/usr/local/bin/sn-service"]
