#!/usr/bin/env python3
"""The deploy files' own rules, beyond what a schema says: run by deploy/check (which validates
the Kubernetes schemas first). Asserts the dashboard, the manifests, Pod Security "restricted"
for every pod template, and that the Prometheus Operator resources match the plain files.
Writes the ConfigMap's gateway.yaml to the path given as the first argument, for `validate`."""
import glob
import json
import subprocess
import sys

import yaml

# --- Grafana -------------------------------------------------------------------------------
dashboard = json.load(open("deploy/grafana/checkout-gateway.json"))
assert dashboard["panels"], "dashboard has no panels"
for panel in dashboard["panels"]:
    assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
# File and sidecar provisioning know no `__inputs`: the data source is a template variable, and
# every query is scoped by the namespace and pod variables, so one replica can be picked out.
assert "__inputs" not in dashboard and "DS_PROMETHEUS" not in json.dumps(dashboard), "use the ${datasource} variable, not __inputs"
variables = [variable["name"] for variable in dashboard["templating"]["list"]]
assert variables[:3] == ["datasource", "namespace", "pod"], variables
for panel in dashboard["panels"]:
    assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    for target in panel["targets"]:
        assert "$namespace" in target["expr"] and "$pod" in target["expr"], f"{panel['title']}: not scoped by $namespace/$pod"
# The go/no-go panels draw the guardrail limits of the example config as threshold lines.
configmap = next(d for d in yaml.safe_load_all(open("deploy/kubernetes/configmap.yaml")) if d["kind"] == "ConfigMap")
guardrails = yaml.safe_load(next(iter(configmap["data"].values())))["guardrails"]
limits = {"error rate": guardrails["max_error_rate"], "p99": guardrails["max_p99_ratio"], "conversion": guardrails["conversion"]["min_ratio"]}
for key, limit in limits.items():
    panel = next(p for p in dashboard["panels"] if p["title"].startswith("Go/no-go") and key in p["title"])
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["custom"]["thresholdsStyle"]["mode"] == "line", panel["title"]
    assert limit in [step["value"] for step in defaults["thresholds"]["steps"]], f"{panel['title']}: no line at {limit}"
print(f"deploy/grafana/checkout-gateway.json: {len(dashboard['panels'])} panels, variables {', '.join(variables)}, guardrail lines {limits}")

# --- Kubernetes manifests --------------------------------------------------------------------
kinds = {}
policies = []
documents = []
for path in sorted(glob.glob("deploy/kubernetes/*.yaml")) + sorted(glob.glob("deploy/kubernetes/monitoring/*.yaml")):
    for document in yaml.safe_load_all(open(path)):
        assert document.get("apiVersion") and document.get("kind"), f"{path}: apiVersion and kind are required"
        kinds[document["kind"]] = document
        documents.append((path, document))
        if document["kind"] == "NetworkPolicy":
            policies.append(document)
deployment = kinds["Deployment"]
assert deployment["spec"]["replicas"] == 3
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert container["resources"]["requests"]
assert pod["automountServiceAccountToken"] is False
assert pod["topologySpreadConstraints"], "replicas spread over nodes"
for kind in ("Service", "PodDisruptionBudget", "ConfigMap", "StatefulSet", "NetworkPolicy", "PodMonitor", "PrometheusRule"):
    assert kind in kinds, f"missing {kind}"
etcd = kinds["StatefulSet"]
assert etcd["spec"]["replicas"] == 3, "etcd needs 3 members"
config = yaml.safe_load(kinds["ConfigMap"]["data"]["gateway.yaml"])
assert len(config["state"]["etcd"]["endpoints"]) == 3 and "state_file" not in config, "the fleet keeps its state in etcd"
members = [f"http://{etcd['metadata']['name']}-{i}.{etcd['spec']['serviceName']}:2379" for i in range(3)]
assert config["state"]["etcd"]["endpoints"] == members, "the ConfigMap names every etcd member"
assert not any(v.get("emptyDir") is not None for v in pod.get("volumes", [])), "no state on emptyDir"

# --- Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}


def restricted_violations(spec):
    """What the Pod Security admission controller at level `restricted` would reject in a pod spec."""
    found = []
    pod_context = spec.get("securityContext", {})
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(f"{field} is set")
    for volume in spec.get("volumes", []):
        kind = next(key for key in volume if key != "name")
        if kind not in RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']} is a {kind}")
    if pod_context.get("runAsUser") == 0:
        found.append("pod runs as user 0")
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        name = container["name"]
        context = container.get("securityContext", {})
        if context.get("privileged"):
            found.append(f"{name}: privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        if not (context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True):
            found.append(f"{name}: runAsNonRoot must be true (pod or container)")
        if context.get("runAsUser") == 0:
            found.append(f"{name}: runs as user 0")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost (is {seccomp})")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities {capabilities['add']}")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            found.append(f"{name}: hostPort")
    return found


# The checker must catch what it claims to: a pod spec with each violation is rejected.
assert len(restricted_violations({"hostNetwork": True, "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
                                  "containers": [{"name": "c", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]})) == 7
templates = [(path, d) for path, d in documents if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]
for path, workload in templates:
    violations = restricted_violations(workload["spec"]["template"]["spec"])
    assert not violations, f"{path}: {workload['kind']} {workload['metadata']['name']} breaks Pod Security restricted: {violations}"
print(f"Pod Security restricted: {', '.join(d['metadata']['name'] for _, d in templates)} pass")

# --- NetworkPolicy, PodMonitor, PrometheusRule -----------------------------------------------
admin_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "admin")
gateway_policy = [p for p in policies if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "checkout-gateway"]
assert gateway_policy, "a NetworkPolicy keeps the gateway's admin port to Prometheus and the namespace"
admin_rules = [r for r in gateway_policy[0]["spec"]["ingress"] if any(p["port"] == admin_port for p in r.get("ports", []))]
assert admin_rules and all(r.get("from") for r in admin_rules), "the admin port is never open to everyone"
monitoring_admitted = any(
    peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "monitoring"
    for rule in admin_rules for peer in rule["from"]
)
assert monitoring_admitted, "Prometheus (namespace monitoring) must reach the admin port"
podmonitor = kinds["PodMonitor"]
assert podmonitor["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items(), "the PodMonitor selects the gateway pods"
for endpoint in podmonitor["spec"]["podMetricsEndpoints"]:
    assert endpoint["port"] == "admin" and endpoint["path"] == "/metrics", endpoint
generated = subprocess.run([sys.executable, "deploy/kubernetes/monitoring/generate-prometheusrule"], check=True, capture_output=True, text=True).stdout
committed = open("deploy/kubernetes/monitoring/prometheusrule.yaml").read()
assert generated == committed, (
    "deploy/kubernetes/monitoring/prometheusrule.yaml is not deploy/prometheus/alerts.yaml: run "
    "deploy/kubernetes/monitoring/generate-prometheusrule > deploy/kubernetes/monitoring/prometheusrule.yaml"
)
alerts = yaml.safe_load(open("deploy/prometheus/alerts.yaml"))
assert kinds["PrometheusRule"]["spec"]["groups"] == alerts["groups"]
print(f"PodMonitor scrapes port admin ({admin_port}); PrometheusRule = alerts.yaml ({sum(len(g['rules']) for g in alerts['groups'])} rules)")

open(sys.argv[1], "w").write(kinds["ConfigMap"]["data"]["gateway.yaml"])
