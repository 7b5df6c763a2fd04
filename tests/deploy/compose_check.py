#!/usr/bin/env python3
"""tests/deploy/compose_check.py RAW_FILE [RENDERED_FILE]

Fails (exit 1, one line per finding) when docker-compose.yml holds a
secret value or a link that is not TLS:
  - anything that looks like a key or a password value, in the file as
    written and as docker-compose renders it (variables substituted):
    PEM blocks, 32+ hex digits, 40+ base64 characters, password= in a
    connection string, trust authentication;
  - an environment setting whose name says it is secret (KEY, PASSWORD,
    SECRET, TOKEN) given as a value instead of a NAME_FILE under
    /run/secrets/;
  - an NNG URL setting (SN_*_URL but not the database's) that is not
    tls+tcp://, an HTTP peer's (HTTP_URLS) that is not https://, or a
    service without its own certificate, key and the CA;
  - a secret file outside deploy/compose/secrets/.
Without RENDERED_FILE the services are read from RAW_FILE itself (YAML
merge keys resolved by PyYAML), with no variable substituted.
"""
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
        if k in HTTP_URLS:
            if not v.startswith("https://"):
                findings.append(f"{svc}: {k}={v} is not https://")
        elif re.fullmatch(r"SN_[A-Z0-9_]+_URL", k) and k != "SN_DB_URL":
            if not v.startswith("tls+tcp://"):
                findings.append(f"{svc}: {k}={v} is not tls+tcp://")
    if "SN_DB_URL" in env:
        findings.append(f"{svc}: SN_DB_URL as a value (use SN_DB_URL_FILE)")


def check_service(name, svc, names):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    check_env(name, env)
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


def main():
    raw_path = sys.argv[1]
    raw = open(raw_path).read()
    scan_text(raw_path, raw)
    if len(sys.argv) > 2:
        rendered = open(sys.argv[2]).read()
        scan_text("rendered", rendered)
        doc = yaml.safe_load(rendered)
    else:
        doc = yaml.safe_load(raw)
    services = doc.get("services") or {}
    if not services:
        findings.append("no services")
    for name, svc in services.items():
        check_service(name, svc, set(services))
    for name, sec in (doc.get("secrets") or {}).items():
        f = str(sec.get("file", ""))
        if "deploy/compose/secrets/" not in f:
            findings.append(f"secret {name}: file {f} is not in deploy/compose/secrets/")
    for f in findings[:50]:
        print("FAIL", f)
    if len(findings) > 50:
        print(f"... and {len(findings) - 50} more")
    if findings:
        sys.exit(1)
    print(f"ok: {len(services)} services, no secret values, every link tls+tcp://")


main()
