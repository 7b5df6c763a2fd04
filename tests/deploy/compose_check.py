#!/usr/bin/env python3
"""tests/deploy/compose_check.py [--dockerfile PATH] RAW_FILE [RENDERED_FILE]
   tests/deploy/compose_check.py --each RAW_FILE:DOCKERFILE...

Fails (exit 1, one line per finding) when docker-compose.yml holds a
secret value, a link that is not TLS, a port published beyond the host's
loopback, or builds an image that is not pinned and labelled:
  - anything that looks like a key or a password value, in the file as
    written and as docker-compose renders it (variables substituted):
    PEM blocks, 32+ hex digits, 40+ base64 characters, password= in a
    connection string, trust authentication;
  - an environment setting whose name says it is secret (KEY, PASSWORD,
    SECRET, TOKEN) given as a value instead of a NAME_FILE under
    /run/secrets/;
  - an NNG URL setting (SN_*_URL but not the database's) that is not
    tls+tcp://, an HTTP peer's (HTTP_URLS, and every SN_<NAME>_HTTP_URL:
    the console's) that is not https://, or a service without its own
    certificate, key and the CA;
  - the console: a service of its SN_CONSOLE_SERVICES without
    SN_<NAME>_HTTP_URL = https://<name>:8080 naming a service of the file
    (it would leave that service out: 404 unknown_service);
  - a secret file outside deploy/compose/secrets/;
  - settings read from an env_file (which this check cannot see), a build
    arg whose name says it is secret, the host's network;
  - a published port not bound to 127.0.0.1 or ::1, or a service other
    than postgres that does not publish its API (container port 8080) on
    the loopback exactly once, or two services on one host port;
    postgres publishing anything;
  - the Dockerfile each service builds (its build context and dockerfile;
    --dockerfile PATH reads PATH instead): a FROM without @sha256:<digest>,
    a library package of deploy/local/lib.sh's SN_DEB_PACKAGES (a *-dev
    but the sanitizers' runtime) that the first stage does not install,
    a final USER that is not numeric 10001:10001, no useradd --uid 10001
    in the final stage, a missing org.opencontainers.image.* label (title,
    version, revision, source, licenses; version, revision and source
    from build args), SN_VERSION's default not CMakeLists.txt's project
    version.
Without RENDERED_FILE the services are read from RAW_FILE itself (YAML
merge keys resolved by PyYAML), with no variable substituted.
"""
import os
import re
import sys

import yaml

LOOKS_SECRET = [
    (re.compile(r"-----BEGIN [A-Z ]+-----"), "a PEM block"),
    (re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])"),
     "32 or more hex digits"),
    (re.compile(r"(?=[A-Za-z0-9+/_-]*[A-Z])(?=[A-Za-z0-9+/_-]*[a-z])"
                r"(?=[A-Za-z0-9+/_-]*[0-9])"
                r"(?<![A-Za-z0-9+/_.-])[A-Za-z0-9+/_-]{40,}={0,2}"),
     "40 or more base64 characters (mixed case and digits)"),
    (re.compile(r"password\s*=", re.I), "password= in a connection string"),
    (re.compile(r"\btrust\b"), "trust authentication"),
]
# Settings naming an HTTP peer (the 12388 platform, the bank's ISO 20022
# interface): HTTPS, not NNG.
HTTP_URLS = ("SN_INSPECTION_URL", "SN_BANK_ISO_URL")
SECRET_NAME = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN)", re.I)
findings = []


def scan_text(where, text):
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
        for rx, what in LOOKS_SECRET:
            if rx.search(body):
                findings.append(f"{where}:{lineno}: {what}: {line.strip()}")


def check_env(svc, env):
    for k, v in env.items():
        v = "" if v is None else str(v)
        # A key's name (SN_INSPECTION_KEY_ID) is not the key.
        if SECRET_NAME.search(k) and not k.endswith("_FILE") \
                and not k.endswith("_KEY_ID") \
                and k not in ("POSTGRES_HOST_AUTH_METHOD",):
            findings.append(f"{svc}: {k} is given as a value, not {k}_FILE")
        if k.endswith("_FILE") and SECRET_NAME.search(k) \
                and not v.startswith("/run/secrets/"):
            findings.append(f"{svc}: {k}={v} is not a compose secret")
        if k in HTTP_URLS or re.fullmatch(r"SN_[A-Z0-9_]+_HTTP_URL", k):
            if not v.startswith("https://"):
                findings.append(f"{svc}: {k}={v} is not https://")
        elif re.fullmatch(r"SN_[A-Z0-9_]+_URL", k) and k != "SN_DB_URL":
            if not v.startswith("tls+tcp://"):
                findings.append(f"{svc}: {k}={v} is not tls+tcp://")
    if "SN_DB_URL" in env:
        findings.append(f"{svc}: SN_DB_URL as a value (use SN_DB_URL_FILE)")


def check_console(name, env, names):
    """Each service the console may reach has its HTTPS URL, at that
    service's API (its compose name, container port 8080)."""
    for peer in str(env.get("SN_CONSOLE_SERVICES", "")).split(","):
        if not peer:
            continue
        k = "SN_" + peer.replace("-", "_").upper() + "_HTTP_URL"
        want = f"https://{peer}:{API_PORT}"
        if k not in env:
            findings.append(f"{name}: {peer} is in SN_CONSOLE_SERVICES but {k} "
                            "is not set (the console would leave it out)")
        elif str(env[k]).rstrip("/") != want:
            findings.append(f"{name}: {k}={env[k]}, not {want}")
        if peer not in names:
            findings.append(f"{name}: SN_CONSOLE_SERVICES names {peer}, "
                            "which is no service of the file")


def check_service(name, svc, names):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    check_env(name, env)
    if "SN_CONSOLE_SERVICES" in env:
        check_console(name, env, names)
    if svc.get("env_file"):
        findings.append(f"{name}: env_file (settings this check cannot see)")
    if svc.get("network_mode") == "host":
        findings.append(f"{name}: network_mode host (every port on the host's addresses)")
    build = svc.get("build") or {}
    args = build.get("args") if isinstance(build, dict) else None
    if isinstance(args, list):
        args = dict(a.split("=", 1) if "=" in a else (a, "") for a in args)
    for k in (args or {}):
        if SECRET_NAME.search(k):
            findings.append(f"{name}: build arg {k} (a secret would stay in the image's history)")
    check_ports(name, svc)
    if name == "postgres":
        return
    mounted = {s if isinstance(s, str) else s.get("source")
               for s in svc.get("secrets") or []}
    for k, own in (("SN_TLS_CERT_FILE", f"{name}-cert"),
                   ("SN_TLS_KEY_FILE", f"{name}-key"),
                   ("SN_TLS_CA_FILE", "ca"),
                   ("SN_DB_URL_FILE", f"{name}-db-url")):
        want = f"/run/secrets/{own}"
        if env.get(k) != want:
            findings.append(f"{name}: {k} is {env.get(k)!r}, not {want}")
        if own not in mounted:
            findings.append(f"{name}: does not mount secret {own}")
    for other in names - {name}:
        for kind in ("-cert", "-key", "-db-url"):
            if other + kind in mounted:
                findings.append(f"{name}: mounts {other}'s {other + kind}")


LOOPBACK = ("127.0.0.1", "::1", "[::1]")
API_PORT = 8080
published = {}


def check_ports(name, svc):
    """Each port as written (IP:HOST:CONTAINER) or as docker-compose 1.29
    renders it (the same string with /tcp, or published/target/host_ip)."""
    api = 0
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            ip = str(p.get("host_ip", ""))
            host, target = p.get("published"), p.get("target")
        else:
            m = re.fullmatch(r"(?:(\[[0-9a-fA-F:]+\]|[0-9]+(?:\.[0-9]+){3}|[0-9a-fA-F:]*::[0-9a-fA-F:]*):)?"
                             r"(?:([0-9-]*):)?([0-9-]+)(?:/(tcp|udp))?", str(p))
            if not m:
                findings.append(f"{name}: port {p!r} is not IP:HOST:CONTAINER")
                continue
            ip, host, target = m.group(1) or "", m.group(2), m.group(3)
        if ip not in LOOPBACK:
            findings.append(f"{name}: port {p!r} is published on "
                            f"{ip or 'every address'}, not the loopback")
        if not host:
            findings.append(f"{name}: port {p!r} has no fixed host port")
        elif str(host) in published:
            findings.append(f"{name}: host port {host} is also {published[str(host)]}'s")
        else:
            published[str(host)] = name
        if str(target) == str(API_PORT):
            api += 1
        else:
            findings.append(f"{name}: port {p!r} publishes {target}, not the API ({API_PORT})")
    if name == "postgres":
        if svc.get("ports"):
            findings.append("postgres: publishes a port (never publish the database)")
    elif api != 1:
        findings.append(f"{name}: publishes its API {api} times (want once, on 127.0.0.1)")


def check_dockerfile(path, root):
    """The image's Dockerfile, statically (no engine here): pinned bases,
    numeric non-root user 10001, OCI labels."""
    where = os.path.relpath(path, root)
    if where.startswith(".."):
        where = path
    try:
        text = open(path).read()
    except OSError as e:
        findings.append(f"{where}: {e.strerror}")
        return
    # Instructions, continuation lines joined, comments dropped.
    lines, cur = [], ""
    for line in text.splitlines():
        if not cur and line.lstrip().startswith("#"):
            continue
        cur += line.rstrip("\\") + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            if cur.strip():
                lines.append(cur.strip())
            cur = ""
    stages, stage = [], None
    for ins in lines:
        op = ins.split(None, 1)[0].upper()
        if op == "FROM":
            stage = []
            stages.append((ins, stage))
        elif stage is not None:
            stage.append(ins)
    if not stages:
        findings.append(f"{where}: no FROM")
        return
    for ins, _ in stages:
        image = ins.split()[1] if len(ins.split()) > 1 else ""
        if not re.search(r"@sha256:[0-9a-f]{64}$", image):
            findings.append(f"{where}: {ins!r} is not pinned by digest (@sha256:...)")
    # The build's libraries: every *-dev package deploy/local/lib.sh
    # installs for the local build must be in the image's build stage
    # (the sanitizers' runtime, libclang-rt-*, is the local build's only).
    libsh = os.path.join(root or ".", "deploy/local/lib.sh")
    if os.path.exists(libsh):
        m = re.search(r"^SN_DEB_PACKAGES=\((.*?)^\)", open(libsh).read(), re.S | re.M)
        want = []
        for line in (m.group(1) if m else "").splitlines():
            want += [w for w in line.split("#", 1)[0].split()
                     if w.endswith("-dev") and not w.startswith("libclang-rt")]
        # The stage that runs cmake.
        runs = [" ".join(i for i in st if i.split(None, 1)[0].upper() == "RUN")
                for _, st in stages]
        first = next((r for r in runs if re.search(r"\bcmake\b", r)), "")
        if not first:
            findings.append(f"{where}: no stage runs cmake (the build stage)")
        for pkg in want if first else []:
            if not re.search(r"(?<![A-Za-z0-9.+-])" + re.escape(pkg) + r"(?![A-Za-z0-9.+-])", first):
                findings.append(f"{where}: the build stage does not install {pkg} "
                                "(deploy/local/lib.sh's SN_DEB_PACKAGES has it)")
    final = stages[-1][1]
    users = [i.split(None, 1)[1].strip() for i in final
             if i.split(None, 1)[0].upper() == "USER" and len(i.split()) > 1]
    if not users:
        findings.append(f"{where}: the final stage sets no USER (runs as root)")
    elif users[-1] != "10001:10001":
        findings.append(f"{where}: USER {users[-1]} is not the numeric 10001:10001 "
                        "of deploy/k8s's runAsUser and runAsGroup")
    if not any(re.search(r"\buseradd\b[^&;]*--uid 10001\b", i) for i in final):
        findings.append(f"{where}: no useradd --uid 10001 in the final stage")
    labels = {}
    for i in final:
        if i.split(None, 1)[0].upper() == "LABEL":
            for k, v in re.findall(r'([A-Za-z0-9_.-]+)=("[^"]*"|\S+)', i.split(None, 1)[1]):
                labels[k] = v.strip('"')
    argdef = {}
    for i in final:
        m = re.match(r"ARG\s+([A-Za-z0-9_]+)(?:=(\S*))?", i, re.I)
        if m:
            argdef[m.group(1)] = m.group(2)
    oci = "org.opencontainers.image."
    for k in ("title", "version", "revision", "source", "licenses"):
        if not labels.get(oci + k):
            findings.append(f"{where}: no label {oci}{k}")
    for k in ("version", "revision", "source"):
        m = re.fullmatch(r"\$\{?([A-Za-z0-9_]+)\}?", labels.get(oci + k, ""))
        if not m or m.group(1) not in argdef:
            findings.append(f"{where}: label {oci}{k} is not a build arg of the final stage")
    cmake = os.path.join(root or ".", "CMakeLists.txt")
    if os.path.exists(cmake):
        m = re.search(r"project\(\S+\s+VERSION\s+([0-9.]+)", open(cmake).read())
        if m and argdef.get("SN_VERSION") != m.group(1):
            findings.append(f"{where}: SN_VERSION defaults to {argdef.get('SN_VERSION')}, "
                            f"CMakeLists.txt says {m.group(1)}")


def check_one(raw_path, rendered_path=None, dockerfile=None):
    """One compose file (and its rendering): the summary, or None when a
    finding was made (in findings)."""
    findings.clear()
    published.clear()
    raw = open(raw_path).read()
    scan_text(raw_path, raw)
    if rendered_path:
        rendered = open(rendered_path).read()
        scan_text("rendered", rendered)
        doc = yaml.safe_load(rendered)
    else:
        doc = yaml.safe_load(raw)
    services = doc.get("services") or {}
    if not services:
        findings.append("no services")
    for name, svc in services.items():
        check_service(name, svc, set(services))
    root = os.path.dirname(os.path.abspath(raw_path))
    built = set()
    for name, svc in services.items():
        b = svc.get("build")
        if b is None:
            continue
        if isinstance(b, str):
            b = {"context": b}
        ctx = os.path.join(root, str(b.get("context", ".")))
        built.add(os.path.normpath(os.path.join(ctx, str(b.get("dockerfile", "Dockerfile")))))
    if dockerfile:
        built = {dockerfile} if built else set()
    for path in sorted(built):
        check_dockerfile(path, root if os.path.exists(os.path.join(root, "CMakeLists.txt"))
                         else os.path.dirname(os.path.abspath(path)))
    # The console's SN_CONSOLE_ROOT is where its image carries the web
    # application (the Dockerfile's ENV, ${SERVICE} being its build arg).
    for name, svc in services.items():
        env = svc.get("environment") or {}
        if not isinstance(env, dict) or "SN_CONSOLE_ROOT" not in env:
            continue
        args = (svc.get("build") or {}).get("args") or {} if isinstance(svc.get("build"), dict) else {}
        for path in sorted(built):
            try:
                m = re.search(r"\bSN_CONSOLE_ROOT=(\S+)", open(path).read())
            except OSError:
                continue
            img = m.group(1).replace("${SERVICE}", str(args.get("SERVICE", ""))) if m else None
            if img != env["SN_CONSOLE_ROOT"]:
                findings.append(f"{name}: SN_CONSOLE_ROOT={env['SN_CONSOLE_ROOT']}, but the "
                                f"image carries the web application in {img}")
    for name, sec in (doc.get("secrets") or {}).items():
        f = str(sec.get("file", ""))
        if "deploy/compose/secrets/" not in f:
            findings.append(f"secret {name}: file {f} is not in deploy/compose/secrets/")
    if findings:
        return None
    return (f"ok: {len(services)} services, no secret values, every link tls+tcp://, "
            f"{len(published)} APIs on the loopback only, {len(built)} Dockerfile(s) "
            "pinned, labelled, USER 10001")


def report(prefix, summary):
    for f in findings[:50]:
        print(f"{prefix}FAIL", f)
    if len(findings) > 50:
        print(f"{prefix}... and {len(findings) - 50} more")
    if summary:
        print(prefix + summary)


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--each"]:
        # --each COMPOSE:DOCKERFILE...: several (the test's doctored
        # copies) in one process, each line prefixed with the pair.
        bad = 0
        for pair in argv[1:]:
            raw_path, dockerfile = pair.split(":", 1)
            summary = check_one(raw_path, None, dockerfile)
            report(f"{pair}: ", summary)
            bad += summary is None
        sys.exit(1 if bad else 0)
    dockerfile = None
    if argv[:1] == ["--dockerfile"]:
        dockerfile = argv[1]
        argv = argv[2:]
    summary = check_one(argv[0], argv[1] if len(argv) > 1 else None, dockerfile)
    report("", summary)
    sys.exit(0 if summary else 1)


main()
