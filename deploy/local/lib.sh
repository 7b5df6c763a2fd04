# shellcheck shell=bash disable=SC2034
# deploy/local/lib.sh: the functions behind deploy/local/{run,test,up,down}.
#
# Source it from a bash script running under `set -euo pipefail`. Every
# function returns non-zero with a one-line message on stderr when it fails;
# none of them depends on the current directory.
#
#   sn_install_deps             install the Debian packages that are missing
#                               (SN_DEB_COMMANDS: by command)
#   sn_build VARIANT [ARGS...]  configure and build into build/VARIANT
#   sn_run_dir_init             a private run folder (ipc sockets, logs)
#   sn_pg_start / sn_pg_stop    a private PostgreSQL cluster on loopback
#   sn_services                 the service names (services/*/CMakeLists.txt)
#   sn_db_roles [NAMES...]      one role (password in a passfile) and one
#                               schema per service
#   sn_secrets_init             the local CA, a certificate per service,
#                               the run's keys and passwords (files)
#   sn_tls_make DIR NAMES...    a CA and certificates (deploy/compose too)
#   sn_services_start [VARIANT] start every service, wait for /readyz
#   sn_services_stop            stop them (PostgreSQL keeps running)
#   sn_services_memory LABEL    print each service's resident memory (idle, load)
#   sn_traps / sn_stop_all      stop everything this shell started
#
# State lives in shell variables (SN_PG_DIR, SN_RUN_DIR, _SN_SVC_*), so a
# script sources this file once and calls the functions in one shell.

SN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROOT="${ROOT:-$SN_ROOT}"

# PostgreSQL 15's programs: Debian keeps them off PATH.
SN_PG_BIN="${SN_PG_BIN:-/usr/lib/postgresql/15/bin}"

# Everything the build, the tests and the local run need, by Debian name.
# postgresql-15 already provides postgresql-contrib-15 and pgbench;
# docker-compose (1.29, Python) is used only for `docker-compose config -q`.
SN_DEB_PACKAGES=(
	build-essential cmake pkg-config
	libnng-dev libprotobuf-c-dev protobuf-c-compiler
	libpq-dev libuv1-dev libmicrohttpd-dev libjansson-dev
	libcmocka-dev libjwt-dev libssl-dev libsodium-dev openssl
	libcurl4-openssl-dev libxml2-dev
	zlib1g-dev # the console gzips answers (services/console)
	clang-14 libclang-rt-14-dev
	postgresql-15 postgresql-client-15
	docker-compose procps psmisc iproute2 curl
	clang-format gdb
	chromium fonts-noto-cjk # the console's browser test (tests/console): the browser, Chinese glyphs in its screenshots
	pgbackrest # deploy/local/backup-restore: backups, WAL archive, point-in-time restore
	patroni python3-etcd etcd-server etcd-client # deploy/local/ha: Patroni + etcd
	prometheus python3 # promtool for deploy.monitoring (no recommends: no node exporter; the daemon it enables: README, What operators watch)
)
# Commands installed by Debian name only when no such command exists,
# since another package may own the path: Google's kubectl package owns
# /usr/bin/kubectl on the project's machines (kubernetes-client, kubectl
# 1.20, for tests/deploy/k8s.sh's `kubectl kustomize`), and NodeSource's
# nodejs carries npm (node and npm for tests/deploy/k8s and
# deploy/local/contract).
declare -A SN_DEB_COMMANDS=([kubectl]=kubernetes-client [node]=nodejs
	[npm]=npm)

# Roles that sn-token issues tokens for, and the jurisdiction each one
# works in (district, township or village code).
SN_ROLES=(clerk investigator village_reviewer township_officer
	emergency_officer district_officer district_admin finance
	finance_approver supervisor inspector department partner)
# The unit deploy/local/up's token of a role acting for an organisation
# carries (issue 13): a member department and a service-project partner
# of the seed (services/services/seed).
declare -A SN_ROLE_UNITS=([department]=medical_insurance
	[partner]=first-street-social-work-station)
# The publishers of design section 1, whose bus addresses every service
# gets, agency-sim, which publishes the agencies' notices (issue 9:
# agency.notice, followed by intake), identity (user.changed) and
# services (issue 13: referral.routed, referral.answered, ...).
SN_PUBLISHERS=(intake verification investigation approval emergency
	disbursement agency-sim identity services)

# The agencies verification asks (proto/sn/agency/v1/agency.proto).
SN_AGENCIES=(PUBLIC_SECURITY HUMAN_RESOURCES HOUSING VEHICLES MARKET TAX
	BANKS PROVIDENT_FUND)

SN_JURIS_DISTRICT=220103
SN_JURIS_TOWNSHIP=220103001
SN_JURIS_VILLAGE=220103001001

_SN_SVC_PIDS=()
_SN_SVC_NAMES=()
_SN_SVC_PORTS=()

# Where temporary folders go: TMPDIR unless it is so long that a unix
# socket path inside it (limit 107 bytes) would not fit.
_sn_tmpbase() {
	local base=${TMPDIR:-/tmp}
	if ((${#base} > 60)); then
		base=/tmp
	fi
	printf '%s' "${base%/}"
}

# Each line carries the seconds since the script started: CI's log then
# shows where the time went.
sn_say() { printf 'safetynet: [%4ss] %s\n' "$SECONDS" "$*" >&2; }
sn_die() { sn_say "error: $*"; exit 1; }

# --- packages -------------------------------------------------------------

sn_install_deps() {
	local p c st missing=() sudo=()
	for p in "${SN_DEB_PACKAGES[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		if [[ $st != "install ok installed" ]]; then
			missing+=("$p")
		fi
	done
	for c in "${!SN_DEB_COMMANDS[@]}"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			missing+=("${SN_DEB_COMMANDS[$c]}")
		fi
	done
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	if ((EUID != 0)); then
		if ! command -v sudo >/dev/null 2>&1; then
			sn_say "missing packages: ${missing[*]}"
			sn_say "not root and no sudo: install them, then run again"
			return 1
		fi
		sudo=(sudo -n)
	fi
	sn_say "installing: ${missing[*]}"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null; then
		sn_say "apt-get update failed"
		return 1
	fi	# The packages' own daemons are not started (prometheus would listen
	# on every address, etcd and PostgreSQL's default cluster on
	# loopback): the scripts run their own, on loopback, in temporary
	# folders. Debian's invoke-rc.d and deb-systemd-invoke ask
	# policy-rc.d, which refuses every start (101) while apt runs, unless
	# the machine has a policy of its own. A file left by an interrupted
	# run carries our marker and is removed by the next.
	local policy=/usr/sbin/policy-rc.d mark='# safetynet: sn_install_deps' made=0 rc=0
	if [[ ! -e $policy ]] || grep -qx "$mark" "$policy" 2>/dev/null; then
		if printf '#!/bin/sh\n%s\nexit 101\n' "$mark" |
			"${sudo[@]}" tee "$policy" >/dev/null &&
			"${sudo[@]}" chmod 755 "$policy"; then
			made=1
		fi
	fi
	# No recommends: docker-compose would pull in the Docker engine.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -y -o DPkg::Lock::Timeout=300 \
		--no-install-recommends install "${missing[@]}" || rc=$?
	if ((made)); then
		"${sudo[@]}" rm -f "$policy"
	fi
	if ((rc != 0)); then
		sn_say "apt-get install failed: ${missing[*]}"
		return 1
	fi
}

# --- build ----------------------------------------------------------------

# sn_build VARIANT [CMAKE ARGS...]: build into $SN_ROOT/build/VARIANT.
sn_build() {
	local variant=${1:?sn_build: variant}
	shift
	local dir="$SN_ROOT/build/$variant"
	sn_say "building $variant in $dir"
	if ! cmake -S "$SN_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"; then
		sn_say "cmake configure failed for $variant"
		return 1
	fi
	if ! cmake --build "$dir" -j"$(nproc)"; then
		sn_say "build failed for $variant"
		return 1
	fi
}

# --- helpers --------------------------------------------------------------

# Identifier for a service name: '-' becomes '_' (roles, schemas).
_sn_ident() {
	local n=${1//-/_}
	if [[ ! $n =~ ^[a-z_][a-z0-9_]*$ ]]; then
		sn_say "bad service name '$1' (lower-case letters, digits, '-', '_')"
		return 1
	fi
	printf '%s' "$n"
}

# Environment key for a service name: upper case, '-' becomes '_'.
_sn_envkey() {
	local n=${1//-/_}
	printf '%s' "${n^^}"
}

# _sn_hex_key [BYTES]: BYTES (32) random bytes in hex.
_sn_hex_key() {
	od -An -tx1 -N"${1:-32}" /dev/urandom | tr -d ' \n'
}

# True if something accepts TCP connections on 127.0.0.1:PORT (or any
# address, when ss is there to ask).
_sn_port_busy() {
	local port=$1
	if command -v ss >/dev/null 2>&1 &&
		[[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
		return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# First free port at or above $1 that is not in the rest of the arguments.
_sn_free_port() {
	local port=$1 p taken
	shift
	while ((port < 65535)); do
		taken=0
		for p in "$@"; do
			if [[ $p == "$port" ]]; then
				taken=1
			fi
		done
		if ((!taken)) && ! _sn_port_busy "$port"; then
			printf '%s' "$port"
			return 0
		fi
		port=$((port + 1))
	done
	sn_say "no free port found"
	return 1
}

# A process that exists and is not a zombie.
_sn_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $st && $st != Z* ]]
}

# Run a PostgreSQL program as the cluster's owner: user postgres when we
# are root (the server refuses to run as root), ourselves otherwise.
_sn_as_pg() {
	local prog=$1
	shift
	if ((EUID == 0)); then
		(cd / && runuser -u postgres -- "$SN_PG_BIN/$prog" "$@")
	else
		"$SN_PG_BIN/$prog" "$@"
	fi
}

_sn_psql() {
	"$SN_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$SN_TEST_DB_URL" "$@"
}

# HTTP status of GET PATH on 127.0.0.1:PORT, or nothing. Over HTTPS
# (curl, checking the server's certificate against SN_CLIENT_CA_FILE) when
# the local run uses TLS; plain bash otherwise, so it needs no curl.
sn_http_status() {
	local port=$1 path=${2:-/readyz} line code fd
	if _sn_tls_on && [[ -n ${SN_CLIENT_CA_FILE:-} ]]; then
		curl -sS -o /dev/null -w '%{http_code}' --max-time 3 \
			--cacert "$SN_CLIENT_CA_FILE" "https://127.0.0.1:$port$path"
		return
	fi
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$path" "$port" >&"$fd"
	line=
	IFS= read -r -t 3 line <&"$fd" || true
	# Read to the end, so the server is not reset mid-answer.
	while IFS= read -r -t 2 _ <&"$fd"; do :; done
	exec {fd}>&-
	code=${line#* }
	code=${code%% *}
	printf '%s' "$code"
}

# --- the run folder --------------------------------------------------------

# sn_run_dir_init: a short private folder for ipc:// sockets (their paths
# must stay under 108 bytes) and logs/. Sets and exports SN_RUN_DIR and
# SN_LOG_DIR. The logs outlive the run; the sockets do not.
sn_run_dir_init() {
	if [[ -n ${SN_RUN_DIR:-} && -d $SN_RUN_DIR ]]; then
		return 0
	fi
	SN_RUN_DIR=$(mktemp -d "$(_sn_tmpbase)/safetynet-run.XXXXXX") || {
		sn_say "cannot create a run folder under $(_sn_tmpbase)"
		return 1
	}
	SN_LOG_DIR="$SN_RUN_DIR/logs"
	mkdir -p "$SN_LOG_DIR"
	RUN=$SN_RUN_DIR
	export SN_RUN_DIR SN_LOG_DIR
}

# --- PostgreSQL -------------------------------------------------------------

# sn_pg_start: initdb a private cluster in a temporary folder, listening on
# 127.0.0.1 at a free port (from 55432 up, or SN_PG_PORT_BASE) and on a
# unix socket in that folder. Every connection, the socket's too, must
# prove a password (scram-sha-256; pg_hba.conf has no trust line): the
# superuser's is random, in $SN_PG_DIR/superuser.password (mode 600), and
# in $SN_PG_DIR/pgpass, the libpq password file that PGPASSFILE and
# SN_TEST_DB_URL's passfile= name. Checks that a connection without a
# password is refused. Creates database safetynet. Exports SN_PG_DIR,
# SN_PG_PORT, SN_TEST_DB_URL, PGPASSFILE. SN_PG_ARCHIVE=pgbackrest turns
# on WAL archiving to pgBackRest (stanza safetynet, configuration
# $SN_PG_DIR/pgbackrest.conf, written by the caller: backup-restore) and
# commit timestamps.
sn_pg_start() {
	if [[ -n ${SN_PG_DIR:-} ]]; then
		sn_say "PostgreSQL already started in $SN_PG_DIR"
		return 0
	fi
	if [[ ! -x $SN_PG_BIN/initdb ]]; then
		sn_say "no $SN_PG_BIN/initdb: is postgresql-15 installed?"
		return 1
	fi
	if ((EUID == 0)) && ! getent passwd postgres >/dev/null; then
		sn_say "running as root but there is no user 'postgres' to own the cluster"
		return 1
	fi
	local dir port tries=0 taken=() url
	dir=$(mktemp -d "$(_sn_tmpbase)/safetynet-pg.XXXXXX") || {
		sn_say "cannot create a folder under $(_sn_tmpbase)"
		return 1
	}
	if ((EUID == 0)); then
		chown postgres: "$dir"
		# postgres must be able to reach the folder; TMPDIR may be private.
		if ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
			rm -rf "$dir"
			dir=$(mktemp -d /tmp/safetynet-pg.XXXXXX)
			chown postgres: "$dir"
		fi
	fi
	SN_PG_DIR=$dir
	export SN_PG_DIR

	_sn_pg_superuser_files "$dir" || return 1
	if ! _sn_as_pg initdb -D "$dir/data" -U postgres -E UTF8 --locale=C \
		-A scram-sha-256 --pwfile="$dir/superuser.password" \
		>"$dir/initdb.log" 2>&1; then
		sn_say "initdb failed; see $dir/initdb.log:"
		tail -n 20 "$dir/initdb.log" >&2
		return 1
	fi
	_sn_pg_hba "$dir/data/pg_hba.conf" || return 1
	# Appended, so these win over initdb's defaults. fsync and synchronous
	# commit stay on by default: the main job and the benchmarks measure
	# durable commits. The test suite sets SN_PG_FSYNC=off: its cluster is
	# thrown away, no test crashes the machine (a killed PostgreSQL keeps
	# what it wrote in the page cache), and synchronous commit stays on,
	# so a commit a test was told of is still in the WAL after a SIGKILL.
	local fsync=${SN_PG_FSYNC:-on}
	[[ $fsync == on || $fsync == off ]] ||
		{ sn_say "SN_PG_FSYNC is on or off, not '$fsync'"; return 1; }
	cat >>"$dir/data/postgresql.conf" <<PGCONF

# safetynet private cluster (deploy/local/lib.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
fsync = $fsync
synchronous_commit = on
max_connections = 200
shared_buffers = 256MB
PGCONF
	case ${SN_PG_ARCHIVE:-off} in
	off) ;;
	pgbackrest)
		# Commit timestamps: the script computes each stream's head at
		# the restore's target time from its outbox.
		printf '%s\n' 'archive_mode = on' 'wal_level = replica' \
			'track_commit_timestamp = on' \
			"archive_command = 'pgbackrest --config=$dir/pgbackrest.conf --stanza=safetynet archive-push %p'" \
			>>"$dir/data/postgresql.conf"
		;;
	*) sn_say "SN_PG_ARCHIVE is off or pgbackrest, not '$SN_PG_ARCHIVE'"; return 1 ;;
	esac
	# Every statement's time and blocks, for a benchmark's profile
	# (sn_pg_statements); off by default. "all" also counts the
	# statements run inside functions (each PL/pgSQL line's own figures;
	# the function's call then counts them again).
	case ${SN_PG_STATEMENTS:-off} in
	off) ;;
	on | all) printf '%s\n' "shared_preload_libraries = 'pg_stat_statements'" \
		"pg_stat_statements.track = ${SN_PG_STATEMENTS/on/top}" \
		>>"$dir/data/postgresql.conf" ;;
	*) sn_say "SN_PG_STATEMENTS is on, all or off, not '$SN_PG_STATEMENTS'"; return 1 ;;
	esac

	port=${SN_PG_PORT_BASE:-55432}
	while :; do
		port=$(_sn_free_port "$port" "${taken[@]}") || return 1
		if _sn_as_pg pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
			-o "-p $port" start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		# Someone took the port between the check and the bind: next one.
		if ((tries < 20)) && grep -q 'could not bind\|Address already in use' \
			"$dir/postgres.log" 2>/dev/null; then
			taken+=("$port")
			continue
		fi
		sn_say "PostgreSQL did not start; log $dir/postgres.log:"
		tail -n 20 "$dir/postgres.log" >&2 || true
		return 1
	done
	SN_PG_PORT=$port
	PGPASSFILE="$dir/pgpass"
	export SN_PG_PORT PGPASSFILE

	if ! "$SN_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres \
		-d postgres -t 30; then
		sn_say "PostgreSQL on 127.0.0.1:$port is not ready; log $dir/postgres.log"
		return 1
	fi
	_sn_pg_refuses_no_password "$dir" "$port" || return 1
	url="host=127.0.0.1 port=$port user=postgres passfile=$dir/pgpass"
	SN_TEST_DB_URL="$url dbname=postgres"
	if ! _sn_psql -c 'CREATE DATABASE safetynet'; then
		sn_say "cannot create database safetynet"
		return 1
	fi
	SN_TEST_DB_URL="$url dbname=safetynet"
	export SN_TEST_DB_URL
	if [[ ${SN_PG_STATEMENTS:-off} != off ]] &&
		! _sn_psql -c 'CREATE EXTENSION pg_stat_statements'; then
		sn_say "cannot create extension pg_stat_statements"
		return 1
	fi
	sn_say "PostgreSQL on 127.0.0.1:$port (folder $dir, scram-sha-256)"
}

# sn_pg_statements reset | N: with SN_PG_STATEMENTS on or all, forgets every
# statement's figures (reset), or prints the N statements that took the
# most time since, with their calls, blocks, WAL and share of the whole.
# Without it, does nothing. Prints; never fails.
sn_pg_statements() {
	[[ ${SN_PG_STATEMENTS:-off} != off ]] || return 0
	if [[ $1 == reset ]]; then
		_sn_psql -c 'SELECT pg_stat_statements_reset()' >/dev/null || true
		return 0
	fi
	sn_say "PostgreSQL's statements by time (pg_stat_statements, top $1):"
	_sn_psql -P pager=off -c "
		SELECT (SELECT rolname FROM pg_roles WHERE oid = userid) AS role,
		       calls, round(total_exec_time::numeric / 1000, 2) AS exec_s,
		       round(total_plan_time::numeric / 1000, 2) AS plan_s,
		       round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct,
		       shared_blks_hit + shared_blks_read AS blocks,
		       round(wal_bytes / 1e6) AS wal_mb,
		       left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
		FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1" >&2 || true
	sn_say "PostgreSQL's statement time by role (each service its own; top-level statements):"
	_sn_psql -P pager=off -c "
		SELECT r.rolname AS role, sum(s.calls) AS calls,
		       sum(s.calls) FILTER (WHERE s.query ILIKE 'commit%') AS commits,
		       round(sum(s.total_exec_time)::numeric / 1000, 2) AS exec_s,
		       sum(s.shared_blks_hit + s.shared_blks_read) AS blocks
		FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
		WHERE s.toplevel GROUP BY r.rolname ORDER BY exec_s DESC" >&2 || true
}

# _sn_pg_superuser_files DIR: a random superuser password in
# DIR/superuser.password (initdb --pwfile) and the same as a libpq
# password file DIR/pgpass; both mode 600, owned by the cluster's owner.
_sn_pg_superuser_files() {
	local dir=$1 pw
	pw=$(_sn_hex_key) || return 1
	if ! (
		umask 077
		printf '%s\n' "$pw" >"$dir/superuser.password"
		printf '*:*:*:postgres:%s\n' "$pw" >"$dir/pgpass"
	); then
		sn_say "cannot write the superuser's password files in $dir"
		return 1
	fi
	if ((EUID == 0)); then
		chown postgres: "$dir/superuser.password" "$dir/pgpass"
	fi
}

# _sn_pg_hba FILE: a password (scram-sha-256) for every connection, the
# unix socket's included; nothing else is accepted.
_sn_pg_hba() {
	if ! printf '%s\n' \
		'# safetynet private cluster (deploy/local/lib.sh): a password for' \
		'# every connection (scram-sha-256), never trust; loopback and the' \
		'# socket only.' \
		'# TYPE  DATABASE  USER  ADDRESS       METHOD' \
		'local   all       all                 scram-sha-256' \
		'host    all       all   127.0.0.1/32  scram-sha-256' \
		'host    all       all   ::1/128       scram-sha-256' >"$1"; then
		sn_say "cannot write $1"
		return 1
	fi
}

# _sn_pg_refuses_no_password DIR PORT: fails unless the cluster refuses
# the superuser without a password, on loopback TCP and on its socket.
_sn_pg_refuses_no_password() {
	local dir=$1 port=$2 host out
	for host in 127.0.0.1 "$dir"; do
		if out=$(env -u PGPASSWORD -u PGPASSFILE "$SN_PG_BIN/psql" -X -w \
			-d "host=$host port=$port user=postgres dbname=postgres passfile=$dir/none" \
			-c 'SELECT 1' 2>&1); then
			sn_say "PostgreSQL accepted a connection without a password on $host (pg_hba.conf must refuse trust)"
			return 1
		fi
		if [[ $out != *"no password supplied"* && $out != *"password authentication failed"* ]]; then
			sn_say "PostgreSQL on $host: unexpected answer without a password: $out"
			return 1
		fi
	done
}

# sn_pg_stop [STATUS]: stop the cluster and delete its folder. Its log is
# copied to SN_LOG_DIR when there is one; otherwise, after a failure
# (STATUS non-zero), the log is kept and its path printed. Idempotent.
sn_pg_stop() {
	local status=${1:-0} dir=${SN_PG_DIR:-} pid
	if [[ -z $dir ]]; then
		return 0
	fi
	if [[ -f $dir/data/postmaster.pid ]]; then
		if ! _sn_as_pg pg_ctl -D "$dir/data" -m fast -w -t 30 stop \
			>/dev/null 2>&1; then
			pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
			if [[ $pid =~ ^[0-9]+$ ]] && _sn_alive "$pid"; then
				sn_say "PostgreSQL (pid $pid) did not stop; killing it"
				kill -KILL "$pid" 2>/dev/null || true
				sleep 1
			fi
		fi
	fi
	if [[ -f $dir/postgres.log && -n ${SN_LOG_DIR:-} && -d ${SN_LOG_DIR:-} ]]; then
		cp "$dir/postgres.log" "$SN_LOG_DIR/postgres.log" 2>/dev/null || true
		rm -rf "$dir"
	elif [[ $status != 0 ]]; then
		rm -rf "$dir/data" "$dir/pgpass" "$dir/superuser.password"
		sn_say "PostgreSQL logs kept in $dir"
	else
		rm -rf "$dir"
	fi
	unset SN_PG_DIR SN_PG_PORT SN_TEST_DB_URL PGPASSFILE
}

# --- services ----------------------------------------------------------------

# sn_services: one name per line, each services/NAME/ with a CMakeLists.txt.
sn_services() {
	local d
	for d in "$SN_ROOT"/services/*/; do
		if [[ -f ${d}CMakeLists.txt ]]; then
			d=${d%/}
			printf '%s\n' "${d##*/}"
		fi
	done
}

# sn_secrets_dir: the run folder's secrets/ (mode 700), made on first use;
# prints its path. Call sn_run_dir_init first in the calling shell: a run
# folder made inside $(...) would be forgotten. Every secret a service gets is a file in there, named
# by a *_FILE setting; nothing secret goes through the environment.
sn_secrets_dir() {
	sn_run_dir_init || return 1
	local d="$SN_RUN_DIR/secrets"
	if [[ ! -d $d ]] && ! (umask 077 && mkdir -p "$d"); then
		sn_say "cannot create $d"
		return 1
	fi
	printf '%s' "$d"
}

# _sn_secret_file PATH VALUE: writes VALUE and a newline to PATH, mode 600.
_sn_secret_file() {
	if ! (umask 077 && printf '%s\n' "$2" >"$1"); then
		sn_say "cannot write $1"
		return 1
	fi
	chmod 600 "$1"
}

# sn_db_roles [EXTRA NAMES...]: for every service (and each extra name) a
# login role and a schema of the same name ('-' → '_') owned by it, with no
# rights for anyone else; schema public is closed to PUBLIC. Each role gets
# a random password (a new one at each call; stored by the server as a
# scram-sha-256 verifier), written to the libpq password file
# $SN_RUN_DIR/secrets/db-NAME.pgpass (mode 600). Exports SN_<NAME>_DB_URL,
# the libpq string the service connects with (passfile= names that file).
sn_db_roles() {
	local names=() n id key sql pw dir pass
	if [[ -z ${SN_TEST_DB_URL:-} || -z ${SN_PG_PORT:-} ]]; then
		sn_say "sn_db_roles: PostgreSQL is not started (sn_pg_start)"
		return 1
	fi
	# In this shell, not in $(...): the run folder must outlive the call.
	sn_run_dir_init || return 1
	dir=$(sn_secrets_dir) || return 1
	mapfile -t names < <(sn_services)
	names+=("$@")
	sql='SET client_min_messages = warning;'$'\n'
	sql+='REVOKE ALL ON SCHEMA public FROM PUBLIC;'$'\n'
	for n in "${names[@]}"; do
		id=$(_sn_ident "$n") || return 1
		pw=$(_sn_hex_key) || return 1
		pass="$dir/db-$n.pgpass"
		_sn_secret_file "$pass" "127.0.0.1:$SN_PG_PORT:safetynet:$id:$pw" ||
			return 1
		sql+="SELECT format('CREATE ROLE %I LOGIN', '$id')
	WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$id') \\gexec
ALTER ROLE \"$id\" WITH LOGIN PASSWORD '$pw';
CREATE SCHEMA IF NOT EXISTS \"$id\" AUTHORIZATION \"$id\";
REVOKE ALL ON SCHEMA \"$id\" FROM PUBLIC;
ALTER ROLE \"$id\" SET search_path = \"$id\";
"
		key=$(_sn_envkey "$n")
		export "SN_${key}_DB_URL=host=127.0.0.1 port=$SN_PG_PORT user=$id dbname=safetynet passfile=$pass"
	done
	# The passwords go to our own cluster on loopback, on stdin (never
	# on a command line); the server keeps only their scram verifiers.
	if ! _sn_psql <<<"$sql"; then
		sn_say "creating roles and schemas failed"
		return 1
	fi
	if ((${#names[@]})); then
		sn_say "roles (scram-sha-256, passfiles in $dir) and schemas: ${names[*]}"
	fi
}

# --- the local CA and the secrets -------------------------------------------

# Whether the local run uses TLS: SN_LOCAL_TLS=0 puts the NNG links back
# on ipc:// and the HTTP APIs on plain HTTP (for comparing or debugging).
_sn_tls_on() { [[ ${SN_LOCAL_TLS:-1} != 0 ]]; }

# sn_tls_make DIR NAME...: a local CA in DIR (ca.key, ca.pem; made once,
# kept when there) and for each NAME a P-256 key DIR/NAME.key and a
# certificate DIR/NAME.pem signed by that CA: CN and DNS subject
# alternative name NAME, plus DNS:localhost, IP:127.0.0.1 and IP:::1, for
# server and client use (a service both listens and dials). Keys mode 600.
# Valid for SN_TLS_DAYS (90) days.
sn_tls_make() {
	local dir=${1:?sn_tls_make: folder} n days=${SN_TLS_DAYS:-90}
	shift
	if ! command -v openssl >/dev/null 2>&1; then
		sn_say "openssl is missing (Debian package openssl)"
		return 1
	fi
	(umask 077 && mkdir -p "$dir") || {
		sn_say "cannot create $dir"
		return 1
	}
	if [[ ! -f $dir/ca.pem || ! -f $dir/ca.key ]]; then
		_sn_tls_key "$dir/ca.key" || return 1
		printf '%s\n' '[req]' 'distinguished_name = dn' 'prompt = no' \
			'x509_extensions = ext' '[dn]' 'CN = safetynet local CA' \
			'[ext]' 'basicConstraints = critical, CA:TRUE, pathlen:0' \
			'keyUsage = critical, keyCertSign, cRLSign' \
			'subjectKeyIdentifier = hash' >"$dir/ca.cnf"
		if ! openssl req -x509 -new -sha256 -days "$days" -key "$dir/ca.key" \
			-config "$dir/ca.cnf" -set_serial "0x$(_sn_serial)" \
			-out "$dir/ca.pem" 2>"$dir/openssl.log"; then
			sn_say "openssl could not make the CA; see $dir/openssl.log"
			return 1
		fi
	fi
	for n in "$@"; do
		_sn_tls_leaf "$dir" "$n" "$days" || return 1
	done
}

# _sn_tls_key FILE: a new P-256 private key (PKCS#8 PEM), mode 600.
_sn_tls_key() {
	if ! (umask 077 && openssl genpkey -algorithm EC \
		-pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); then
		sn_say "openssl could not make the key $1"
		return 1
	fi
	chmod 600 "$1"
}

# 16 random bytes in hex: a certificate serial number.
_sn_serial() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n' | sed 's/^./7/'; }

# _sn_tls_leaf DIR NAME DAYS: NAME.key and NAME.pem signed by DIR's CA.
_sn_tls_leaf() {
	local dir=$1 n=$2 days=$3
	if [[ ! $n =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
		sn_say "bad certificate name '$n'"
		return 1
	fi
	_sn_tls_key "$dir/$n.key" || return 1
	printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
		'keyUsage = critical, digitalSignature' \
		'extendedKeyUsage = serverAuth, clientAuth' \
		"subjectAltName = DNS:$n, DNS:localhost, IP:127.0.0.1, IP:::1" \
		'subjectKeyIdentifier = hash' \
		'authorityKeyIdentifier = keyid' >"$dir/$n.ext"
	if ! openssl req -new -key "$dir/$n.key" -subj "/CN=$n" \
		-out "$dir/$n.csr" 2>>"$dir/openssl.log" ||
		! openssl x509 -req -sha256 -days "$days" -in "$dir/$n.csr" \
			-CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-set_serial "0x$(_sn_serial)" -extfile "$dir/$n.ext" \
			-out "$dir/$n.pem" 2>>"$dir/openssl.log"; then
		sn_say "openssl could not make the certificate of $n; see $dir/openssl.log"
		return 1
	fi
	rm -f "$dir/$n.csr" "$dir/$n.ext"
}

# The names that get a certificate: every service, the simulators and
# identity (whether or not they are built yet), and "operator", the
# client certificate of the main job and of the operators' tools.
_sn_cert_names() {
	local seen=" " x
	for x in $(sn_services) agency-sim bank-sim identity operator; do
		[[ $seen == *" $x "* ]] && continue
		seen+="$x "
		printf '%s\n' "$x"
	done
}

# sn_secrets_init: once per run folder, everything secret a run needs, as
# files in $SN_RUN_DIR/secrets (mode 700; files mode 600):
#   tls/               the local CA and a certificate per service (sn_tls_make)
#   seal.keys          SN_SEAL_KEYS: one line "k1:<64 hex>"
#   blind.key          SN_BLIND_KEY: 64 hex
#   token-signing.pem  identity's ES256 private key (PKCS#8)
#   token-public.pem   its public half, for every service (not secret)
#   identity-admin.password  the district administrator's password
#   feed.key           SN_SUPERVISION_FEED_KEY: 64 hex, the master key of
#                      the hub feed's pseudonyms (made also in a run folder
#                      made before it existed)
#   db-NAME.pgpass     each role's password (sn_db_roles)
#   inspection.key     SN_INSPECTION_KEY: 64 hex, the key supervision signs
#                      its requests to the 12388 platform (inspection-sim)
#                      with, for both (made also in an older run folder,
#                      with inspection-sim's certificate)
# Services get them as NAME_FILE settings, never as values. Exports, for
# the main job in this shell: SN_CLIENT_CA_FILE (HTTPS to the services),
# SN_IDENTITY_ADMIN_USER and SN_IDENTITY_ADMIN_PASSWORD_FILE (it logs in
# as the administrator and creates its staff), SN_SECRETS_DIR.
sn_secrets_init() {
	local d
	sn_run_dir_init || return 1
	d=$(sn_secrets_dir) || return 1
	SN_SECRETS_DIR=$d
	export SN_SECRETS_DIR
	if [[ ! -f $d/done ]]; then
		mapfile -t _sn_certs < <(_sn_cert_names)
		sn_tls_make "$d/tls" "${_sn_certs[@]}" || return 1
		_sn_secret_file "$d/seal.keys" "k1:$(_sn_hex_key)" || return 1
		_sn_secret_file "$d/blind.key" "$(_sn_hex_key)" || return 1
		_sn_tls_key "$d/token-signing.pem" || return 1
		if ! openssl pkey -in "$d/token-signing.pem" -pubout \
			-out "$d/token-public.pem" 2>/dev/null; then
			sn_say "openssl could not write the token public key"
			return 1
		fi
		# 128 bits; the drivers take at most 39 bytes.
		_sn_secret_file "$d/identity-admin.password" "$(_sn_hex_key 16)" ||
			return 1
		touch "$d/done"
		sn_say "local CA, certificates and keys in $d"
	fi
	if [[ ! -f $d/feed.key ]]; then
		_sn_secret_file "$d/feed.key" "$(_sn_hex_key)" || return 1
	fi
	SN_IDENTITY_ADMIN_USER=${SN_IDENTITY_ADMIN_USER:-admin}
	SN_IDENTITY_ADMIN_PASSWORD_FILE="$d/identity-admin.password"
	export SN_IDENTITY_ADMIN_USER SN_IDENTITY_ADMIN_PASSWORD_FILE
	if [[ ! -f $d/inspection.key ]]; then
		_sn_secret_file "$d/inspection.key" "$(_sn_hex_key)" || return 1
	fi
	if [[ -f $d/tls/ca.key && ! -f $d/tls/inspection-sim.pem ]]; then
		_sn_tls_leaf "$d/tls" inspection-sim "${SN_TLS_DAYS:-90}" ||
			return 1
	fi
	if _sn_tls_on; then
		SN_CLIENT_CA_FILE="$d/tls/ca.pem"
		export SN_CLIENT_CA_FILE
	else
		unset SN_CLIENT_CA_FILE
	fi
}

# _sn_service_secrets NAME: the secret settings service NAME gets (one
# KEY=VALUE per line), each naming a file of sn_secrets_init.
_sn_service_secrets() {
	local n=$1 d=$SN_SECRETS_DIR
	printf '%s\n' "SN_TOKEN_PUBLIC_KEY_FILE=$d/token-public.pem" \
		"SN_SEAL_KEYS_FILE=$d/seal.keys" "SN_BLIND_KEY_FILE=$d/blind.key"
	if _sn_tls_on; then
		printf '%s\n' "SN_TLS_CERT_FILE=$d/tls/$n.pem" \
			"SN_TLS_KEY_FILE=$d/tls/$n.key" "SN_TLS_CA_FILE=$d/tls/ca.pem"
	fi
	# The 12388 link's shared key: supervision signs, inspection-sim checks.
	if [[ $n == supervision || $n == inspection-sim ]]; then
		printf '%s\n' "SN_INSPECTION_KEY_FILE=$d/inspection.key" \
			"SN_INSPECTION_KEY_ID=supervision"
	fi
	if [[ $n == identity ]]; then
		printf '%s\n' "SN_IDENTITY_SIGNING_KEY_FILE=$d/token-signing.pem" \
			"SN_IDENTITY_ADMIN_USER=$SN_IDENTITY_ADMIN_USER" \
			"SN_IDENTITY_ADMIN_PASSWORD_FILE=$d/identity-admin.password"
	fi
	if [[ $n == supervision ]]; then
		printf '%s\n' "SN_SUPERVISION_FEED_KEY_FILE=$d/feed.key"
	fi
}

# --- ports ---------------------------------------------------------------------

# _sn_pick_ports COUNT BASE: COUNT distinct ports from BASE up, none
# listening now (one look at `ss`, or a connect per port without it) and
# none in _SN_PORTS_AVOID; into the array _SN_PICKED.
_sn_pick_ports() {
	local count=$1 port=$2 busy=" " p
	_SN_PICKED=()
	if command -v ss >/dev/null 2>&1; then
		for p in $(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }'); do
			busy+="$p "
		done
	fi
	for p in "${_SN_PORTS_AVOID[@]}" "${_SN_LINK_PORTS[@]}"; do
		busy+="$p "
	done
	while ((${#_SN_PICKED[@]} < count)); do
		if ((port >= 65535)); then
			sn_say "no free port found"
			return 1
		fi
		if [[ $busy != *" $port "* ]] && ! _sn_port_busy "$port"; then
			_SN_PICKED+=("$port")
		fi
		port=$((port + 1))
	done
}
_SN_PORTS_AVOID=()

# --- starting the services -------------------------------------------------------

# sn_services_start [VARIANT]: start build/VARIANT/services/NAME/NAME (or
# VARIANT/services/NAME/NAME when VARIANT is an absolute path) for every
# service, each with its own role, schema, secrets (sn_secrets_init:
# certificate, keys, as *_FILE settings), data files (SN_<NAME>_SEED_DIR
# when services/NAME/seed exists), HTTP port and log
# ($SN_LOG_DIR/NAME.log), and wait up to 30 s (SN_READY_TIMEOUT) for each
# to answer GET /readyz with 200. With TLS (the default; SN_LOCAL_TLS=0
# for ipc:// and HTTP) every NNG link is tls+tcp://127.0.0.1:PORT with
# mutual TLS and every API is HTTPS. Ports are picked free from
# SN_HTTP_PORT_BASE (18080) up; when one was taken between the pick and
# the bind (a service's log says "Address in use"), everything started is
# stopped and started again on other ports, up to 5 times. With
# SN_DETACH=1 the services get their own session (deploy/local/up).
# SN_SERVICES_SETTINGS: space-separated NAME=VALUE settings every service
# gets besides its own (each reads only the names it knows; a value holds
# no space), e.g. the benchmark's anomaly thresholds for supervision.
sn_services_start() {	local variant=${1:-release} names=() try mark
	# The console last: the other services keep the ports they had before
	# it came (the README and proto/openapi.yaml name them).
	mapfile -t names < <(sn_services | grep -vx console)
	if [[ -f $SN_ROOT/services/console/CMakeLists.txt ]]; then
		names+=(console)
	fi
	if ((${#names[@]} == 0)); then
		sn_say "no services yet (no services/*/CMakeLists.txt): none started"
		return 0
	fi
	sn_run_dir_init || return 1
	sn_secrets_init || return 1
	for try in 1 2 3 4 5; do
		mark=$(_sn_log_marks "${names[@]}")
		if _sn_services_start_once "$variant" "${names[@]}"; then
			return 0
		fi
		if ! _sn_bind_failed "$mark"; then
			return 1
		fi
		sn_say "a port was taken before a service bound it: starting again on other ports (try $((try + 1)))"
		_SN_PORTS_AVOID+=("${_SN_SVC_PORTS[@]}" "${_SN_LINK_PORTS[@]}")
		sn_services_stop
	done
	sn_say "the services did not start: ports kept being taken"
	return 1
}

# _sn_log_marks NAME...: "NAME:SIZE" of each service log now, so that
# _sn_bind_failed reads only what this attempt wrote.
_sn_log_marks() {
	local n size
	for n in "$@"; do
		size=$(stat -c %s "$SN_LOG_DIR/$n.log" 2>/dev/null || echo 0)
		printf '%s:%s ' "$n" "$size"
	done
}

# _sn_bind_failed MARKS: whether a log says, after its mark, that a port
# could not be bound (NNG's "Address in use", libmicrohttpd's bind error).
_sn_bind_failed() {
	local m n size
	for m in $1; do
		n=${m%%:*}
		size=${m##*:}
		if tail -c +"$((size + 1))" "$SN_LOG_DIR/$n.log" 2>/dev/null |
			grep -qi 'address in use\|address already in use\|failed to bind'; then
			return 0
		fi
	done
	return 1
}

# _sn_link_envs NAME...: the NNG addresses every service gets, as KEY=URL
# in the array _SN_LINK_ENVS, on new ports (_SN_LINK_PORTS) with TLS or as
# ipc:// sockets in the run folder without. Every service learns every
# publisher's addresses: those of the services here and of the
# publishers the design names, so that a follower starts (and catches up
# later) before its publisher exists. The agencies' endpoints: agency-sim
# listens there, verification dials them (a real agency replaces the URL,
# nothing else). The bank's endpoint: bank-gateway listens there,
# disbursement dials it; bank-sim, the bank, speaks only ISO 20022 on its
# HTTPS port (the gateway's SN_BANK_ISO_URL), no NNG.
_sn_link_envs() {
	local seen=" " x links=() keys=() i
	for x in "$@" "${SN_PUBLISHERS[@]}"; do
		[[ $seen == *" $x "* ]] && continue
		seen+="$x "
		links+=("$x.pub" "$x.replay")
		keys+=("SN_$(_sn_envkey "$x")_PUB_URL" "SN_$(_sn_envkey "$x")_REPLAY_URL")
	done
	for x in "${SN_AGENCIES[@]}"; do
		links+=("agency-${x,,}.rep")
		keys+=("SN_AGENCY_${x}_URL")
	done
	links+=("bank.rep")
	keys+=("SN_BANK_URL")
	_SN_LINK_ENVS=()
	_SN_LINK_PORTS=()
	if _sn_tls_on; then
		_sn_pick_ports "${#links[@]}" \
			"$((${SN_HTTP_PORT_BASE:-18080} + 100))" || return 1
		_SN_LINK_PORTS=("${_SN_PICKED[@]}")
	fi
	for i in "${!links[@]}"; do
		if _sn_tls_on; then
			_SN_LINK_ENVS+=("${keys[$i]}=tls+tcp://127.0.0.1:${_SN_LINK_PORTS[$i]}")
		else
			_SN_LINK_ENVS+=("${keys[$i]}=ipc://$SN_RUN_DIR/${links[$i]}")
		fi
	done
}
_SN_LINK_PORTS=()
_SN_LINK_ENVS=()

# _sn_services_start_once VARIANT NAME...: one attempt of sn_services_start.
_sn_services_start_once() {
	local variant=$1 n key bin log pid i envs=() own=() clean=() v bdir
	shift
	# A variant is build/VARIANT; an absolute path is a build folder.
	bdir="$SN_ROOT/build/$variant"
	[[ $variant == /* ]] && bdir=$variant
	_sn_link_envs "$@" || return 1
	envs=("${_SN_LINK_ENVS[@]}")
	# agency-sim's fixture of exact records, when the caller made one.
	if [[ -n ${SN_AGENCY_SIM_FIXTURE:-} ]]; then
		envs+=("SN_AGENCY_SIM_FIXTURE=$SN_AGENCY_SIM_FIXTURE")
	fi
	# A simulated month (the main job's half year): every service on
	# the district clock moved by SN_SIM_CLOCK_OFFSET_S seconds.
	if [[ -n ${SN_SIM_CLOCK_OFFSET_S:-} ]]; then
		envs+=("SN_TEST_CLOCK=1" "SN_CLOCK_OFFSET_S=$SN_SIM_CLOCK_OFFSET_S")
	fi
	# A service sees only its own settings: none of this shell's SN_*
	# (the superuser's SN_TEST_DB_URL, the other roles' URLs), nor the
	# superuser's password file.
	for v in $(compgen -e); do
		if [[ $v == SN_* || $v == PGPASSFILE ]]; then
			clean+=(-u "$v")
		fi
	done
	_sn_pick_ports "$#" "${SN_HTTP_PORT_BASE:-18080}" || return 1
	local ports=("${_SN_PICKED[@]}")
	# supervision's 12388 link goes to inspection-sim's API when it runs
	# (a real platform replaces SN_INSPECTION_URL, nothing else); so does
	# bank-gateway's ISO 20022 link to bank-sim's (SN_BANK_ISO_URL).
	local inspection_url="" bank_iso_url="" j=0 x
	for x in "$@"; do
		if [[ $x == inspection-sim ]]; then
			inspection_url="$(sn_http_scheme)://127.0.0.1:${ports[$j]}"
		fi
		if [[ $x == bank-sim ]]; then
			bank_iso_url="$(sn_http_scheme)://127.0.0.1:${ports[$j]}/iso20022"
		fi
		j=$((j + 1))
	done
	# Every service's extra settings (sn_services_start), as words.
	local settings=()
	read -r -a settings <<<"${SN_SERVICES_SETTINGS:-}"
	i=0
	for n in "$@"; do
		key=$(_sn_envkey "$n")
		bin="$bdir/services/$n/$n"
		log="$SN_LOG_DIR/$n.log"
		if [[ ! -x $bin ]]; then
			sn_say "service binary missing: $bin (did the $variant build succeed?)"
			return 1
		fi
		local url_var="SN_${key}_DB_URL"
		if [[ -z ${!url_var:-} ]]; then
			sn_say "no database role for $n (call sn_db_roles first)"
			return 1
		fi
		# A service without migrations of its own (a simulator) gets
		# an empty SN_SCHEMA_DIR: only the built-in tables.
		local schema_dir="$SN_ROOT/services/$n/schema"
		[[ -d $schema_dir ]] || schema_dir=""
		own=("SN_DB_URL=${!url_var}"
			"SN_DB_SCHEMA=$(_sn_ident "$n")"
			"SN_HTTP_ADDR=127.0.0.1"
			"SN_HTTP_PORT=${ports[$i]}"
			"SN_LOG_LEVEL=${SN_LOG_LEVEL:-info}"
			"SN_SCHEMA_DIR=$schema_dir")
		# A service with data files loaded at start (services/NAME/seed:
		# services' departments and projects) reads them from the tree.
		if [[ -d $SN_ROOT/services/$n/seed ]]; then
			own+=("SN_${key}_SEED_DIR=$SN_ROOT/services/$n/seed")
		fi
		mapfile -t -O "${#own[@]}" own < <(_sn_service_secrets "$n")
		own+=("${settings[@]}")
		if [[ $n == supervision && -n $inspection_url ]]; then
			own+=("SN_INSPECTION_URL=$inspection_url")
		fi
		# The gateway answers disbursement on SN_BANK_URL and speaks
		# ISO 20022 to bank-sim with its client certificate, which
		# bank-sim's /iso20022/* routes demand (SN_HTTP_CLIENT_CA_FILE:
		# the local CA).
		if [[ $n == bank-gateway ]]; then
			if [[ -z $bank_iso_url ]]; then
				sn_say "bank-gateway needs bank-sim (its SN_BANK_ISO_URL)"
				return 1
			fi
			own+=("SN_BANK_ISO_URL=$bank_iso_url")
		fi
		if [[ $n == bank-sim ]] && _sn_tls_on; then
			own+=("SN_HTTP_CLIENT_CA_FILE=$SN_SECRETS_DIR/tls/ca.pem")
		fi
		# The console (issue 17) forwards /api/NAME/ to every other
		# service started here, over HTTPS with its own certificate.
		if [[ $n == console ]]; then
			# Its libraries (npm, lockfile) in console/web/vendor.
			if [[ ! -f $SN_ROOT/console/web/vendor/preact.mjs ]] &&
				! "$SN_ROOT/console/vendor.sh" >&2; then
				sn_say "console: console/vendor.sh failed: the pages will not load their libraries"
			fi
			# The web folder: the caller's SN_CONSOLE_ROOT (a service
			# sees no SN_* of this shell), else this tree's.
			own+=("SN_CONSOLE_ROOT=${SN_CONSOLE_ROOT:-$SN_ROOT/console/web}")
			j=0
			for x in "$@"; do
				if [[ $x != console ]]; then
					own+=("SN_$(_sn_envkey "$x")_HTTP_URL=$(sn_http_scheme)://127.0.0.1:${ports[$j]}")
				fi
				j=$((j + 1))
			done
		fi
		# Appended: a service started again keeps its earlier lines.
		if [[ ${SN_DETACH:-0} == 1 ]]; then
			setsid env "${clean[@]}" "${envs[@]}" "${own[@]}" "$bin" </dev/null >>"$log" 2>&1 &
		else
			env "${clean[@]}" "${envs[@]}" "${own[@]}" "$bin" </dev/null >>"$log" 2>&1 &
		fi
		pid=$!
		_SN_SVC_PIDS+=("$pid")
		_SN_SVC_NAMES+=("$n")
		_SN_SVC_PORTS+=("${ports[$i]}")
		i=$((i + 1))
	done
	for i in "${!_SN_SVC_NAMES[@]}"; do
		key=$(_sn_envkey "${_SN_SVC_NAMES[$i]}")
		export "SN_${key}_HTTP_URL=$(sn_http_scheme)://127.0.0.1:${_SN_SVC_PORTS[$i]}"
	done
	_sn_services_wait_ready
}

# sn_http_scheme: https when the local run uses TLS, http otherwise.
sn_http_scheme() {
	if _sn_tls_on; then
		printf https
	else
		printf http
	fi
}

# _sn_services_wait_ready: each started service answers GET /readyz with
# 200 within SN_READY_TIMEOUT (30) seconds, or the start fails.
_sn_services_wait_ready() {
	local i n pid port log deadline code
	for i in "${!_SN_SVC_NAMES[@]}"; do
		n=${_SN_SVC_NAMES[$i]}
		pid=${_SN_SVC_PIDS[$i]}
		port=${_SN_SVC_PORTS[$i]}
		log="$SN_LOG_DIR/$n.log"
		deadline=$((SECONDS + ${SN_READY_TIMEOUT:-30}))
		while :; do
			if ! _sn_alive "$pid"; then
				sn_say "service $n exited before it was ready; last lines of $log:"
				tail -n 30 "$log" >&2 || true
				return 1
			fi
			code=$(sn_http_status "$port" /readyz 2>/dev/null || true)
			if [[ $code == 200 ]]; then
				break
			fi
			if ((SECONDS >= deadline)); then
				sn_say "service $n not ready on 127.0.0.1:$port after ${SN_READY_TIMEOUT:-30} s; last lines of $log:"
				tail -n 30 "$log" >&2 || true
				return 1
			fi
			sleep 0.2
		done
		sn_say "service $n ready at $(sn_http_scheme)://127.0.0.1:$port (pid $pid)"
	done
}

# sn_services_memory LABEL: one line per started service with its resident
# memory now (VmRSS) and the most it has been resident since it started
# (VmHWM), in MiB, and whether that is within issue 15's bounds: 32 MiB when
# idle, 128 MiB under load. LABEL says which bound applies ("idle" or
# anything else for load). Prints; never fails.
sn_services_memory() {
	local label=$1 limit i n pid rss hwm within
	limit=128
	[[ $label == idle ]] && limit=32
	sn_say "resident memory of every service ($label; bound $limit MiB):"
	for i in "${!_SN_SVC_NAMES[@]}"; do
		n=${_SN_SVC_NAMES[$i]}
		pid=${_SN_SVC_PIDS[$i]}
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		if [[ -z $rss || -z $hwm ]]; then
			printf '  %-16s gone\n' "$n"
			continue
		fi
		within=yes
		[[ $label == idle ]] && ((rss > limit * 1024)) && within=NO
		[[ $label != idle ]] && ((hwm > limit * 1024)) && within=NO
		awk -v n="$n" -v r="$rss" -v h="$hwm" -v l="$limit" -v w="$within" \
			'BEGIN { printf "  %-16s %6.1f MiB now, %6.1f MiB at most; within %d MiB: %s\n", n, r / 1024, h / 1024, l, w }'
	done
}

# _sn_cpu_ticks PID...: the CPU the processes have used, user and system
# together (utime + stime of /proc/PID/stat), in clock ticks; a process
# gone counts 0. The name field may hold spaces: read after its ')'.
_sn_cpu_ticks() {
	local pid t=0 v
	for pid in "$@"; do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || true)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# _sn_pg_ticks: the CPU the private PostgreSQL has used, in clock ticks:
# the postmaster's own, its live children's, and what the children that
# exited used (the postmaster waited for them: its cutime and cstime), so
# a backend that ends between two readings still counts.
_sn_pg_ticks() {
	local pm
	pm=$(head -n 1 "$SN_PG_DIR/data/postmaster.pid" 2>/dev/null || true)
	[[ -n $pm ]] || { echo 0; return 0; }
	awk -v pm="$pm" '{ sub(/^.*\) /, "") }
		FILENAME == "/proc/" pm "/stat" { t += $12 + $13 + $14 + $15 }
		$2 == pm { t += $12 + $13 }
		END { print t + 0 }' /proc/[0-9]*/stat 2>/dev/null
}

# _sn_cpu_machine: the ticks every core has spent busy (/proc/stat: user,
# nice, system, irq, softirq, steal).
_sn_cpu_machine() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# sn_services_cpu_mark: remembers the CPU each started service, the
# private PostgreSQL and the whole machine have used so far, for
# sn_services_cpu.
sn_services_cpu_mark() {
	local i
	_SN_CPU_MARK=()
	for i in "${!_SN_SVC_PIDS[@]}"; do
		_SN_CPU_MARK[i]=$(_sn_cpu_ticks "${_SN_SVC_PIDS[$i]}")
	done
	_SN_CPU_PG_MARK=$(_sn_pg_ticks)
	_SN_CPU_ALL_MARK=$(_sn_cpu_machine)
}

# _sn_cpu_line NAME TICKS HZ N: NAME's CPU in seconds and in
# milliseconds per unit of work.
_sn_cpu_line() {
	awk -v s="$1" -v d="$2" -v hz="$3" -v n="$4" \
		'BEGIN { printf "  %-16s %8.1f s %8.2f ms\n", s, d / hz, 1000 * d / hz / n }'
}

# sn_services_cpu N WHAT: one line per started service with the CPU it
# used since sn_services_cpu_mark (user and system, seconds) and per one
# of the N units of work WHAT (milliseconds), then PostgreSQL's (every
# process of the cluster's, those that ended included) and the whole
# machine's, busy, every core. Where a run's CPU goes on this 2-core
# machine, a steadier figure than its rate. Prints; never fails.
sn_services_cpu() {
	local n=$1 what=$2 i hz
	hz=$(getconf CLK_TCK)
	sn_say "CPU used since the mark (user and system; per $what over $n):"
	for i in "${!_SN_SVC_NAMES[@]}"; do
		_sn_cpu_line "${_SN_SVC_NAMES[$i]}" \
			$(($(_sn_cpu_ticks "${_SN_SVC_PIDS[$i]}") - ${_SN_CPU_MARK[i]:-0})) "$hz" "$n"
	done
	_sn_cpu_line postgresql $(($(_sn_pg_ticks) - ${_SN_CPU_PG_MARK:-0})) "$hz" "$n"
	_sn_cpu_line "machine (busy)" $(($(_sn_cpu_machine) - ${_SN_CPU_ALL_MARK:-0})) "$hz" "$n"
}

# --- stopping -----------------------------------------------------------------

# sn_stop_all [STATUS]: SIGTERM every started service, SIGKILL what is left
# after 12 s, stop PostgreSQL, remove the run folder's sockets and secrets
# and say where the logs are. Idempotent; meant as the EXIT/INT/TERM handler (sn_traps).
# Stops every service sn_services_start started (SIGTERM, then SIGKILL
# after 12 s), and forgets them; PostgreSQL keeps running.
sn_services_stop() {
	local i pid n deadline left rc
	if ((${#_SN_SVC_PIDS[@]})); then
		for pid in "${_SN_SVC_PIDS[@]}"; do
			kill -TERM "$pid" 2>/dev/null || true
		done
		deadline=$((SECONDS + 12))
		while :; do
			left=0
			for pid in "${_SN_SVC_PIDS[@]}"; do
				if _sn_alive "$pid"; then
					left=1
				fi
			done
			if ((!left || SECONDS >= deadline)); then
				break
			fi
			sleep 0.2
		done
		for i in "${!_SN_SVC_PIDS[@]}"; do
			pid=${_SN_SVC_PIDS[$i]}
			n=${_SN_SVC_NAMES[$i]:-?}
			if _sn_alive "$pid"; then
				sn_say "service $n (pid $pid) ignored SIGTERM for 12 s; killing it"
				kill -KILL "$pid" 2>/dev/null || true
			fi
			# Reap our own children and report an unclean exit.
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			if ((rc != 0 && rc != 127)); then
				sn_say "service $n exited with status $rc"
			fi
		done
		_SN_SVC_PIDS=()
		_SN_SVC_NAMES=()
		_SN_SVC_PORTS=()
	fi
}

sn_stop_all() {
	local status=$?
	if (($#)); then
		status=$1
	fi
	trap '' INT TERM
	sn_services_stop
	sn_pg_stop "$status" || true
	if [[ -n ${SN_RUN_DIR:-} && -d $SN_RUN_DIR ]]; then
		find "$SN_RUN_DIR" -maxdepth 1 -type s -delete 2>/dev/null || true
		# The run's keys and passwords go with the cluster they open.
		rm -rf "$SN_RUN_DIR/secrets"
		if [[ -n ${SN_LOG_DIR:-} ]] && [[ -n $(ls -A "$SN_LOG_DIR" 2>/dev/null) ]]; then
			sn_say "logs: $SN_LOG_DIR"
		elif [[ ${SN_KEEP_RUN_DIR:-0} != 1 ]]; then
			rm -rf "$SN_RUN_DIR"
		fi
		unset SN_RUN_DIR SN_LOG_DIR
	fi
	if [[ ${_SN_TRAPS:-0} == 1 ]]; then
		sn_traps
	else
		trap - INT TERM
	fi
	return 0
}

# sn_traps: stop everything on exit, Ctrl-C or SIGTERM.
sn_traps() {
	_SN_TRAPS=1
	trap 'sn_stop_all' EXIT
	trap 'sn_stop_all 130; exit 130' INT
	trap 'sn_stop_all 143; exit 143' TERM
}
