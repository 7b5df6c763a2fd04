// tests/deploy/k8s/check.mjs [--source DIR] RENDERED.yaml...: checks what `kubectl kustomize`
// renders of a deploy/k8s overlay, offline. Exit 1 with one FAIL line per
// finding, 0 with a summary.
//
// 1. Schemas: each object against the Kubernetes schema of its kind
//    (kubernetes-models' validators), and strictly: a field the schema does
//    not name (a typo) fails, as kubeconform -strict would. The validators
//    read every property their schema names; a property of the object
//    that none of them read is unknown.
// 2. Project rules: every container has startup, liveness (/healthz) and
//    readiness (/readyz) probes over HTTPS on a named port, CPU and memory
//    requests and a memory limit, a numeric non-root user and group,
//    a read-only root, no privilege escalation, every capability dropped,
//    seccomp RuntimeDefault; every Secret a pod mounts is listed, key for
//    key, in the ConfigMap sn-secrets and no Secret object is rendered (no
//    values in the tree); each service reads its own certificate, key and
//    database login from files it mounts; every NNG URL is tls+tcp://,
//    every HTTP peer https:// (SN_INSPECTION_URL, SN_BANK_ISO_URL and each
//    SN_<NAME>_HTTP_URL: the console's) and a link of the design, and
//    names a Service with that port; the console has the URL of each
//    service of its SN_CONSOLE_SERVICES, at that service's name; a
//    StatefulSet's SN_PARTITION is "<pod index>/<replicas>"; a publisher
//    runs one pod; each workload has its Service and PodDisruptionBudget.
// 3. NetworkPolicies: the namespace denies by default, and the links the
//    policies allow between services are exactly the design's (LINKS
//    below), allowed on both ends; beyond them only the API port from
//    api-client pods, PostgreSQL and DNS. With --source, the design's
//    links are first compared with the services' code (the console's with
//    its default SN_CONSOLE_SERVICES, services/console/main.c).
import { readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let findings = [];
const fail = (where, what) => findings.push(`${where}: ${what}`);

// --- the design ------------------------------------------------------------

// Who follows whom: each service's `follows` (services/NAME/main.c;
// supervision's is supervision_publishers in services/supervision/events.c).
const FOLLOWS = {
  approval: ["intake", "verification", "investigation", "disbursement"],
  disbursement: ["approval", "emergency"],
  emergency: ["disbursement", "intake", "approval"],
  intake: ["approval", "emergency", "agency-sim", "disbursement"],
  investigation: ["intake", "approval"],
  verification: ["intake", "approval"],
  services: ["intake", "approval", "emergency"],
  supervision: ["intake", "verification", "investigation", "approval",
    "emergency", "disbursement", "identity", "supervision", "services"],
};
const PUBLISHERS = new Set(["identity", "agency-sim", "intake", "verification",
  "investigation", "approval", "emergency", "disbursement", "supervision",
  "services"]);
// Every link between two services, "client>server:port": the bus (pub and
// replay from each publisher to its followers), verification's agencies
// (req/rep), disbursement's bank (req/rep to bank-gateway), bank-gateway's
// ISO 20022 calls to the bank (HTTPS), supervision's 12388 platform (HTTPS),
// the console's calls to each service's API (HTTPS).
// The staff console's services (SN_CONSOLE_SERVICES' default in
// services/console/main.c): it forwards /api/<name>/ to each one's API.
const CONSOLE = ["identity", "intake", "verification", "investigation", "approval",
  "emergency", "disbursement", "bank-gateway", "supervision", "services"];
const LINKS = new Set();
for (const s of CONSOLE) LINKS.add(`console>${s}:8080`);
for (const [f, pubs] of Object.entries(FOLLOWS))
  for (const p of pubs) for (const port of [5555, 5556]) LINKS.add(`${f}>${p}:${port}`);
for (let port = 6001; port <= 6008; port++) LINKS.add(`verification>agency-sim:${port}`);
LINKS.add("disbursement>bank-gateway:7001");
LINKS.add("bank-gateway>bank-sim:8080");
LINKS.add("supervision>inspection-sim:8080");
// What each service listens on (the rest of its URL settings it dials):
// a publisher its own SN_<NAME>_PUB_URL and _REPLAY_URL, agency-sim every
// agency's, bank-gateway the bank's.
function listens(name, key) {
  const own = `SN_${name.replace(/-/g, "_").toUpperCase()}_`;
  return (PUBLISHERS.has(name) && (key === `${own}PUB_URL` || key === `${own}REPLAY_URL`))
    || (name === "agency-sim" && /^SN_AGENCY_[A-Z_]+_URL$/.test(key))
    || (name === "bank-gateway" && key === "SN_BANK_URL");
}
// Settings naming an HTTP peer (and every SN_<NAME>_HTTP_URL: the
// console's); every other SN_*_URL but the database's is NNG.
const HTTP_URLS = new Set(["SN_INSPECTION_URL", "SN_BANK_ISO_URL"]);
const isHttpUrl = (k) => HTTP_URLS.has(k) || /^SN_[A-Z0-9_]+_HTTP_URL$/.test(k);

// --- schemas ---------------------------------------------------------------

const KINDS = {
  "v1/ConfigMap": "IoK8sApiCoreV1ConfigMap",
  "v1/Service": "IoK8sApiCoreV1Service",
  "apps/v1/Deployment": "IoK8sApiAppsV1Deployment",
  "apps/v1/StatefulSet": "IoK8sApiAppsV1StatefulSet",
  "policy/v1/PodDisruptionBudget": "IoK8sApiPolicyV1PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "IoK8sApiNetworkingV1NetworkPolicy",
};
const here = new URL(".", import.meta.url);
const validators = {};
for (const [k, file] of Object.entries(KINDS)) {
  // By path: the package's exports do not name its _schemas folder.
  const url = new URL(`node_modules/kubernetes-models/_schemas/${file}.mjs`, here);
  validators[k] = (await import(url.href)).validate;
}

// A proxy over obj that records, per object, which properties were read.
function tracked(obj, path, log) {
  if (obj === null || typeof obj !== "object") return obj;
  const reads = new Set();
  log.push({ path, obj, reads });
  const kids = new Map();
  return new Proxy(obj, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r);
      if (typeof k !== "string") return v;
      reads.add(k);
      if (v === null || typeof v !== "object") return v;
      if (!kids.has(k)) kids.set(k, tracked(v, `${path}/${k}`, log));
      return kids.get(k);
    },
    ownKeys(t) {
      for (const k of Reflect.ownKeys(t)) if (typeof k === "string") reads.add(k);
      return Reflect.ownKeys(t);
    },
  });
}

function checkSchema(where, doc) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const validate = validators[key];
  if (!validate) {
    fail(where, `${key} is not a kind these manifests use (${Object.keys(KINDS).join(", ")})`);
    return;
  }
  const log = [];
  if (!validate(tracked(doc, "", log)))
    for (const e of validate.errors)
      fail(where, `schema: ${e.instancePath || "/"} ${e.keyword}: ${JSON.stringify(e.params)}`);
  for (const { path, obj, reads } of log) {
    if (Array.isArray(obj)) continue;
    for (const k of Object.keys(obj))
      if (!reads.has(k) && !(path === "" && (k === "apiVersion" || k === "kind")))
        fail(where, `schema: unknown field ${path}/${k}`);
  }
}

// --- reading ---------------------------------------------------------------

// check(file): the findings on one rendered overlay.
function check(file) {
  findings = [];
  const docs = [];
  for (const d of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (d.errors.length) {
      fail(file, `YAML: ${d.errors[0].message}`);
      continue;
    }
    const o = d.toJS();
    if (o !== null) docs.push(o);
  }
  const byKind = (k) => docs.filter((d) => d.kind === k);
  const nameOf = (d) => d.metadata?.name ?? "?";

  for (const d of docs) checkSchema(`${d.kind} ${nameOf(d)}`, d);

  // ConfigMaps by their name without kustomize's hash suffix.
  const cms = new Map();
  for (const cm of byKind("ConfigMap")) {
    cms.set(nameOf(cm), cm);
    cms.set(nameOf(cm).replace(/-[a-z0-9]{10}$/, ""), cm);
  }
  const services = new Map(byKind("Service").map((s) => [nameOf(s), s]));
  const svcPorts = (name) => new Map((services.get(name)?.spec?.ports ?? []).map((p) => [p.name, p.port]));

  // --- secrets ---------------------------------------------------------------

  for (const s of byKind("Secret")) fail(`Secret ${nameOf(s)}`, "a Secret object in the manifests (values belong outside the tree)");
  const placeholders = new Map();
  const listed = cms.get("sn-secrets");
  if (!listed) fail("ConfigMap sn-secrets", "missing: the list of the Secrets the pods mount");
  else
    for (const [name, keys] of Object.entries(listed.data ?? {}))
      placeholders.set(name, new Set(String(keys).split(/\s+/).filter(Boolean)));
  const mountedKeys = new Map();

  // --- workloads -------------------------------------------------------------

  const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
  const isNum = (v) => Number.isInteger(v);
  const SECRETISH = [/-----BEGIN [A-Z ]+-----/, /password\s*=/i, /(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])/];

  function envOf(where, c) {
    const env = new Map();
    for (const ef of c.envFrom ?? []) {
      if (ef.secretRef) fail(where, `envFrom secretRef ${ef.secretRef.name}: secrets are files, not settings`);
      if (!ef.configMapRef) continue;
      const cm = cms.get(ef.configMapRef.name);
      if (!cm) fail(where, `envFrom names ConfigMap ${ef.configMapRef.name}, which is not rendered`);
      else for (const [k, v] of Object.entries(cm.data ?? {})) env.set(k, String(v));
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) fail(where, `${e.name} from a Secret: secrets are files, not settings`);
      env.set(e.name, e.valueFrom ? { from: e.valueFrom } : String(e.value ?? ""));
    }
    return env;
  }

  for (const w of workloads) {
    const name = nameOf(w);
    const where = `${w.kind} ${name}`;
    const pod = w.spec?.template?.spec ?? {};
    const psc = pod.securityContext ?? {};
    if (psc.runAsNonRoot !== true) fail(where, "pod securityContext.runAsNonRoot is not true");
    if (!isNum(psc.runAsUser) || psc.runAsUser <= 0) fail(where, `pod runAsUser ${psc.runAsUser} is not a numeric non-root user`);
    if (!isNum(psc.runAsGroup) || psc.runAsGroup <= 0) fail(where, `pod runAsGroup ${psc.runAsGroup} is not a numeric non-root group`);
    if (IMAGE_USER && (psc.runAsUser !== IMAGE_USER[0] || psc.runAsGroup !== IMAGE_USER[1]))
      fail(where, `pod runs as ${psc.runAsUser}:${psc.runAsGroup}, the image's USER is ${IMAGE_USER.join(":")} (Dockerfile)`);
    if (psc.seccompProfile?.type !== "RuntimeDefault") fail(where, "pod seccompProfile is not RuntimeDefault");
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail(where, "uses the host's network, PID or IPC namespace");
    if (pod.automountServiceAccountToken !== false) fail(where, "mounts a service account token (automountServiceAccountToken: false)");
    if ((pod.containers ?? []).length === 0) fail(where, "no container");

    // The files each pod mounts, by path.
    const files = new Set();
    for (const v of pod.volumes ?? []) {
      const srcs = v.secret ? [{ secret: { name: v.secret.secretName, items: v.secret.items } }] : v.projected?.sources ?? [];
      for (const s of srcs) {
        if (!s.secret) continue;
        const sname = s.secret.name;
        const keys = placeholders.get(sname);
        if (!keys) fail(where, `mounts Secret ${sname}, which sn-secrets does not list`);
        const owner = /^sn-(.+)$/.exec(sname)?.[1];
        if (owner !== name && workloads.some((o) => nameOf(o) === owner))
          fail(where, `mounts ${owner}'s Secret ${sname}`);
        if (!s.secret.items) fail(where, `mounts Secret ${sname} without items (name each key, so that a missing one stops the pod)`);
        for (const it of s.secret.items ?? []) {
          if (keys && !keys.has(it.key)) fail(where, `mounts key ${it.key} of Secret ${sname}, which sn-secrets does not list`);
          if (!mountedKeys.has(sname)) mountedKeys.set(sname, new Set());
          mountedKeys.get(sname).add(it.key);
          const mount = (pod.containers ?? []).flatMap((c) => c.volumeMounts ?? []).find((m) => m.name === v.name);
          if (mount) files.add(`${mount.mountPath}/${it.path}`);
        }
      }
    }
    for (const c of pod.containers ?? []) {
      const cw = `${where} container ${c.name}`;
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const [kind, path] of [["startupProbe", null], ["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
        const p = c[kind];
        if (!p) {
          fail(cw, `no ${kind}`);
          continue;
        }
        const g = p.httpGet;
        if (!g) {
          fail(cw, `${kind} is not an httpGet`);
          continue;
        }
        if (path && g.path !== path) fail(cw, `${kind} path ${g.path}, not ${path}`);
        if (g.scheme !== "HTTPS") fail(cw, `${kind} scheme ${g.scheme ?? "HTTP"}, not HTTPS`);
        if (!ports.has(g.port)) fail(cw, `${kind} port ${g.port} is not a named port of the container`);
      }
      const r = c.resources ?? {};
      for (const k of ["cpu", "memory"]) if (!r.requests?.[k]) fail(cw, `no ${k} request`);
      if (!r.limits?.memory) fail(cw, "no memory limit");
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) fail(cw, "root filesystem not read-only");
      if (sc.allowPrivilegeEscalation !== false) fail(cw, "allowPrivilegeEscalation is not false");
      if (sc.privileged) fail(cw, "privileged");
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(cw, "capabilities: ALL not dropped");
      if (sc.capabilities?.add?.length) fail(cw, `adds capabilities ${sc.capabilities.add}`);
      if ("runAsUser" in sc && (!isNum(sc.runAsUser) || sc.runAsUser <= 0)) fail(cw, `runAsUser ${sc.runAsUser} is not a numeric non-root user`);
      if ("runAsNonRoot" in sc && sc.runAsNonRoot !== true) fail(cw, "runAsNonRoot overridden");
      if (!/^[^:@]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/.test(c.image ?? "") || /:latest$/.test(c.image))
        fail(cw, `image ${c.image} has no tag or digest (or is :latest)`);

      const env = envOf(cw, c);
      for (const [k, v] of env) {
        if (typeof v !== "string") continue;
        for (const rx of SECRETISH) if (rx.test(v)) fail(cw, `${k} looks like a secret value`);
        if (/(KEY|PASSWORD|SECRET|TOKEN)/.test(k) && !k.endsWith("_FILE") && !k.endsWith("_KEY_ID"))
          fail(cw, `${k} is a value, not ${k}_FILE`);
        if (k.endsWith("_FILE") && v.startsWith("/run/secrets/") && !files.has(v))
          fail(cw, `${k}=${v}: no mounted Secret key gives that file`);
        if (/(KEY|PASSWORD|SECRET|TOKEN|CERT|CA|DB_URL)_FILE$/.test(k) && !v.startsWith("/run/secrets/"))
          fail(cw, `${k}=${v} is not a mounted Secret's file`);
        if (isHttpUrl(k) || (/^SN_[A-Z0-9_]+_URL$/.test(k) && k !== "SN_DB_URL")) {
          const want = isHttpUrl(k) ? "https" : "tls+tcp";
          const m = /^([a-z+]+):\/\/([^:/]+):(\d+)/.exec(v);
          if (!m || m[1] !== want) fail(cw, `${k}=${v} is not ${want}://host:port`);
          else if (listens(name, k)) {
            // A listener binds the address its host resolves to in the
            // pod: every address, or the pod's own through its hostname
            // (a StatefulSet's pods are named <name>-<i>: only 0.0.0.0).
            if (m[2] !== "0.0.0.0" && !(w.kind === "Deployment" && pod.hostname === m[2]))
              fail(cw, `${k}=${v}: it listens there, but ${m[2]} is not this pod's hostname (a Service's address cannot be bound)`);
            if (!(c.ports ?? []).some((p) => p.containerPort === Number(m[3])))
              fail(cw, `${k}=${v}: listens on ${m[3]}, which is no port of the container`);
            if (![...svcPorts(name).values()].includes(Number(m[3])))
              fail(cw, `${k}=${v}: its Service has no port ${m[3]}`);
          } else {
            const sp = [...svcPorts(m[2]).values()];
            if (!services.has(m[2])) fail(cw, `${k}=${v}: no Service ${m[2]}`);
            else if (!sp.includes(Number(m[3]))) fail(cw, `${k}=${v}: Service ${m[2]} has no port ${m[3]}`);
            // A follower's stream must not wait on its publisher's
            // readiness (/readyz is 503 while a stream it follows stalls).
            else if (/_(PUB|REPLAY)_URL$/.test(k) && services.get(m[2]).spec?.publishNotReadyAddresses !== true)
              fail(cw, `${k}=${v}: Service ${m[2]} routes to ready pods only (a bus Service publishes not-ready addresses)`);
            // An HTTP peer is a Service of the design's link (the bus's
            // and the agencies' are checked by the policies below).
            if (want === "https" && !LINKS.has(`${name}>${m[2]}:${m[3]}`))
              fail(cw, `${k}=${v}: ${name}>${m[2]}:${m[3]} is not a link of the design`);
          }
        }
      }
      if (env.has("SN_DB_URL")) fail(cw, "SN_DB_URL as a value (SN_DB_URL_FILE)");
      // With --source: the console's web application is where its image
      // carries it (the Dockerfile's SN_CONSOLE_ROOT, ${SERVICE} its name).
      if (IMAGE_CONSOLE_ROOT !== null && env.has("SN_CONSOLE_ROOT")
        && env.get("SN_CONSOLE_ROOT") !== IMAGE_CONSOLE_ROOT.replace("${SERVICE}", name))
        fail(cw, `SN_CONSOLE_ROOT=${env.get("SN_CONSOLE_ROOT")}, but the image carries the web application in ${IMAGE_CONSOLE_ROOT.replace("${SERVICE}", name)} (Dockerfile)`);
      // The console leaves out a service of its list without a URL (404
      // unknown_service): each one's, at that service's API.
      if (env.has("SN_CONSOLE_SERVICES"))
        for (const peer of String(env.get("SN_CONSOLE_SERVICES")).split(",").filter(Boolean)) {
          const k = `SN_${peer.replace(/-/g, "_").toUpperCase()}_HTTP_URL`;
          if (!env.has(k)) fail(cw, `${peer} is in SN_CONSOLE_SERVICES but ${k} is not set (the console would leave it out)`);
          else if (String(env.get(k)).replace(/\/+$/, "") !== `https://${peer}:8080`)
            fail(cw, `${k}=${env.get(k)}, not https://${peer}:8080`);
        }
      for (const [k, own] of [["SN_TLS_CERT_FILE", `${name}-cert`], ["SN_TLS_KEY_FILE", `${name}-key`],
        ["SN_DB_URL_FILE", `${name}-db-url`], ["SN_TLS_CA_FILE", "ca"]])
        if (env.get(k) !== `/run/secrets/${own}`) fail(cw, `${k} is ${env.get(k)}, not /run/secrets/${own}`);
      if (env.get("SN_DB_SCHEMA") !== name.replace(/-/g, "_")) fail(cw, `SN_DB_SCHEMA is ${env.get("SN_DB_SCHEMA")}, not its own`);

      // Partitions: the ordinal and the replica count.
      const replicas = w.spec?.replicas ?? 1;
      if (w.kind === "StatefulSet") {
        const idx = env.get("SN_PARTITION_INDEX");
        if (idx?.from?.fieldRef?.fieldPath !== "metadata.labels['apps.kubernetes.io/pod-index']")
          fail(cw, "SN_PARTITION_INDEX is not the pod's index label");
        if (env.get("SN_PARTITION") !== `$(SN_PARTITION_INDEX)/${replicas}`)
          fail(cw, `SN_PARTITION is ${env.get("SN_PARTITION")}, not $(SN_PARTITION_INDEX)/${replicas} (replicas ${replicas})`);
      } else if (env.has("SN_PARTITION")) fail(cw, "SN_PARTITION outside a StatefulSet");
      if (PUBLISHERS.has(name) && replicas > 1)
        fail(cw, `a publisher with ${replicas} pods: the bus does not give its followers a whole live stream from several (README, "Running in production")`);
    }
    // Its Service and PodDisruptionBudget.
    const sel = w.spec?.selector?.matchLabels ?? {};
    if (sel["app.kubernetes.io/name"] !== name) fail(where, "selector is not app.kubernetes.io/name: its name");
    const svc = services.get(name);
    if (!svc) fail(where, "no Service of its name");
    else {
      const cports = new Set((pod.containers ?? []).flatMap((c) => c.ports ?? []).map((p) => p.name));
      for (const p of svc.spec?.ports ?? []) if (!cports.has(p.targetPort)) fail(`Service ${name}`, `targetPort ${p.targetPort} is no named port of the pod`);
      if (svc.spec?.selector?.["app.kubernetes.io/name"] !== name) fail(`Service ${name}`, "selects other pods");
    }
    if (w.kind === "StatefulSet" && !services.has(w.spec?.serviceName)) fail(where, `serviceName ${w.spec?.serviceName} is no Service`);
    if (!byKind("PodDisruptionBudget").some((p) => p.spec?.selector?.matchLabels?.["app.kubernetes.io/name"] === name))
      fail(where, "no PodDisruptionBudget");
  }
  for (const [sname, keys] of placeholders)
    for (const k of keys) if (!mountedKeys.get(sname)?.has(k)) fail("ConfigMap sn-secrets", `lists ${sname}/${k}, which no pod mounts`);

  // --- network policies ------------------------------------------------------

  const names = new Set(workloads.map(nameOf));
  const pols = byKind("NetworkPolicy");
  if (!pols.some((p) => Object.keys(p.spec?.podSelector ?? {}).length === 0
    && ["Ingress", "Egress"].every((t) => p.spec?.policyTypes?.includes(t))
    && !p.spec?.ingress && !p.spec?.egress))
    fail("NetworkPolicy", "no default-deny (podSelector {}, Ingress and Egress, no rule)");

  // The service names a peer selects, or null when it selects no service pod.
  function peerNames(where, peer) {
    const ps = peer.podSelector;
    if (peer.ipBlock) {
      fail(where, `ipBlock ${peer.ipBlock.cidr}: not a link of the design`);
      return [];
    }
    if (!ps) return null;
    const out = [];
    const ml = ps.matchLabels ?? {};
    if (ml["app.kubernetes.io/name"]) out.push(ml["app.kubernetes.io/name"]);
    for (const e of ps.matchExpressions ?? [])
      if (e.key === "app.kubernetes.io/name" && e.operator === "In") out.push(...e.values);
      else fail(where, `selector expression ${e.key} ${e.operator}`);
    return out.length ? out : null;
  }
  const portNum = (svc, p) => (typeof p === "number" ? p : svcPorts(svc).get(p));
  const ingress = new Set();
  const egress = new Set();
  for (const p of pols) {
    const where = `NetworkPolicy ${nameOf(p)}`;
    const target = p.spec?.podSelector?.matchLabels?.["app.kubernetes.io/name"];
    if (!target) continue;
    if (!names.has(target)) fail(where, `selects ${target}, which no workload is`);
    for (const [dir, rules] of [["from", p.spec?.ingress ?? []], ["to", p.spec?.egress ?? []]]) {
      for (const r of rules) {
        const peers = r[dir] ?? [];
        const ports = r.ports ?? [];
        if (!peers.length || !ports.length) {
          fail(where, `a rule with no ${peers.length ? "port" : "peer"}: it allows every ${peers.length ? "port" : "peer"}`);
          continue;
        }
        for (const peer of peers) {
          const others = peerNames(where, peer);
          if (others === null) {
            // Not a service: the API's clients, DNS, PostgreSQL.
            const ml = peer.podSelector?.matchLabels ?? {};
            const nums = ports.map((x) => portNum(target, x.port));
            const ok = peer.namespaceSelector && Object.keys(peer.namespaceSelector).length === 0 && (
              (dir === "from" && ml["safetynet.io/api-client"] === "true" && nums.every((n) => n === 8080)) ||
              (dir === "to" && ml["k8s-app"] === "kube-dns" && nums.every((n) => n === 53)) ||
              (dir === "to" && ml["safetynet.io/database"] === "true" && nums.every((n) => n === 5432)));
            if (!ok) fail(where, `${dir} ${JSON.stringify(peer)} ports ${nums}: not the API's clients, DNS or PostgreSQL`);
            continue;
          }
          if (peer.namespaceSelector) fail(where, `${dir} service pods of other namespaces`);
          for (const o of others) {
            if (!names.has(o)) fail(where, `${dir} ${o}, which no workload is`);
            for (const x of ports) {
              const server = dir === "from" ? target : o;
              const n = portNum(server, x.port);
              const link = dir === "from" ? `${o}>${target}:${n}` : `${target}>${o}:${n}`;
              if (!LINKS.has(link)) fail(where, `allows ${link}, not a link of the design`);
              (dir === "from" ? ingress : egress).add(link);
            }
          }
        }
      }
    }
  }
  for (const l of LINKS) {
    const [c, rest] = l.split(">");
    const s = rest.split(":")[0];
    if (!names.has(c) || !names.has(s)) continue;
    if (!egress.has(l)) fail("NetworkPolicy", `${c} may not open the design's link ${l}`);
    if (!ingress.has(l)) fail("NetworkPolicy", `${s} does not accept the design's link ${l}`);
  }
  for (const n of names)
    if (!pols.some((p) => p.spec?.podSelector?.matchLabels?.["app.kubernetes.io/name"] === n))
      fail(n, "no NetworkPolicy of its own");

  return { findings, summary: `${docs.length} objects (${workloads.length} workloads, ${pols.length} network policies, ${LINKS.size} links of the design)` };
}

// --source DIR: FOLLOWS and PUBLISHERS above must be what the services'
// code says (each services/NAME/main.c's `follows` and `.publishes`,
// supervision's supervision_publishers), so that the links checked are
// the ones the programs open.
function checkSource(root) {
  const out = [];
  const found = {};
  const pubs = new Set();
  for (const n of readdirSync(`${root}/services`)) {
    let c;
    try {
      c = readFileSync(`${root}/services/${n}/main.c`, "utf8");
    } catch {
      continue;
    }
    if (/\.publishes\s*=\s*true/.test(c)) pubs.add(n);
    let m = /follows\[\]\s*=\s*\{([^}]*)\}/.exec(c);
    if (!m && /\.follows\s*=\s*supervision_publishers/.test(c))
      m = /supervision_publishers\[\]\s*=\s*\{([^}]*)\}/.exec(readFileSync(`${root}/services/${n}/events.c`, "utf8"));
    if (m) found[n] = [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
    else if (/\.follows\s*=/.test(c)) out.push(`services/${n}: follows a list this check cannot read`);
  }
  const key = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, [...o[k]].sort()]));
  if (key(found) !== key(FOLLOWS))
    out.push(`FOLLOWS in check.mjs is not the services' code: ${JSON.stringify(found)}`);
  if (JSON.stringify([...pubs].sort()) !== JSON.stringify([...PUBLISHERS].sort()))
    out.push(`PUBLISHERS in check.mjs is not the services' code: ${[...pubs].sort()}`);
  let con = "";
  try {
    con = readFileSync(`${root}/services/console/main.c`, "utf8");
  } catch {
    out.push("services/console/main.c: missing");
  }
  const dm = /sn_config_str\("SN_CONSOLE_SERVICES",\s*((?:"[^"]*"\s*)+)\)/.exec(con);
  const dflt = dm ? [...dm[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]).join("").split(",") : null;
  if (con && !dflt) out.push("services/console/main.c: SN_CONSOLE_SERVICES' default is not readable");
  else if (dflt && JSON.stringify([...dflt].sort()) !== JSON.stringify([...CONSOLE].sort()))
    out.push(`CONSOLE in check.mjs is not SN_CONSOLE_SERVICES' default in services/console/main.c: ${dflt}`);
  return out;
}

// --source DIR: the image's user, the Dockerfile's last USER, given as
// UID:GID numbers; every pod must run as it (runAsUser, runAsGroup), so
// that the files the image gives its user are the pods' own.
let IMAGE_USER = null;
let IMAGE_CONSOLE_ROOT = null;
function imageUser(root) {
  const users = [...readFileSync(`${root}/Dockerfile`, "utf8").matchAll(/^USER\s+(\S+)\s*$/gm)].map((m) => m[1]);
  const m = /^(\d+):(\d+)$/.exec(users.at(-1) ?? "");
  if (!m) return [null, `Dockerfile: USER ${users.at(-1)} is not numeric UID:GID`];
  return [[Number(m[1]), Number(m[2])], null];
}

// --- verdict ---------------------------------------------------------------

// One file: its findings. Several (the test's doctored copies, read in
// one process): each line starts with the file's name.
const args = process.argv.slice(2);
let bad = 0;
if (args[0] === "--source") {
  for (const f of checkSource(args[1])) console.log(`FAIL design: ${f}`), bad++;
  const [u, err] = imageUser(args[1]);
  if (err) console.log(`FAIL design: ${err}`), bad++;
  IMAGE_USER = u;
  IMAGE_CONSOLE_ROOT = /\bSN_CONSOLE_ROOT=(\S+)/.exec(readFileSync(`${args[1]}/Dockerfile`, "utf8"))?.[1] ?? "(none: the Dockerfile sets no SN_CONSOLE_ROOT)";
  args.splice(0, 2);
}
const files = args;
if (!files.length) {
  console.error("usage: check.mjs [--source DIR] RENDERED.yaml...");
  process.exit(2);
}
for (const file of files) {
  const at = files.length > 1 ? `${file}: ` : "";
  const r = check(file);
  for (const f of r.findings.slice(0, 60)) console.log(`${at}FAIL ${f}`);
  if (r.findings.length > 60) console.log(`${at}... and ${r.findings.length - 60} more`);
  if (r.findings.length) bad++;
  else console.log(`${at}ok: ${r.summary}, schemas strict, project rules held`);
}
process.exit(bad ? 1 : 0);
