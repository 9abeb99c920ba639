"""The Pod Security Standards, "baseline" and "restricted" levels, as a checker of pod specs.

Written from the published standard (kubernetes.io, "Pod Security Standards", the policy
tables of the Baseline and Restricted profiles, latest version). Every control of both
levels is checked on the pod spec and on every container, init container and ephemeral
container; "restricted" includes all of "baseline". Each problem names the control, the
container and the offending field, like the admission controller's messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LEVELS", "pss_problems"]

LEVELS = ("baseline", "restricted")

#: Baseline "Capabilities": adding anything beyond this list is forbidden.
_BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                          "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
#: Baseline "Sysctls": the safe set.
_SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                 "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                 "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                 "net.ipv4.tcp_keepalive_probes"}
#: Baseline "SELinux": allowed types.
_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
#: Restricted "Volume Types": the only volume sources allowed.
_RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                       "projected", "secret"}
_VOLUME_META = {"name"}


def _all_containers(spec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(kind) or []:
            out.append((f"{kind}[{c.get('name')}]", c))
    return out


def _baseline(spec: Mapping[str, Any], annotations: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    pod_sc = spec.get("securityContext") or {}
    containers = _all_containers(spec)
    # HostProcess
    if (pod_sc.get("windowsOptions") or {}).get("hostProcess"):
        problems.append("HostProcess: spec.securityContext.windowsOptions.hostProcess must not be true")
    # Host Namespaces
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            problems.append(f"Host Namespaces: spec.{key} must be unset or false")
    # HostPath Volumes
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"HostPath Volumes: volume {volume.get('name')} is a hostPath")
    # Sysctls
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            problems.append(f"Sysctls: {sysctl.get('name')} is not in the safe set")
    # AppArmor (pod field, annotations of old)
    for where, sc in [("spec", pod_sc), *((w, c.get("securityContext") or {}) for w, c in containers)]:
        profile = (sc.get("appArmorProfile") or {}).get("type")
        if profile is not None and profile not in ("RuntimeDefault", "Localhost"):
            problems.append(f"AppArmor: {where}.securityContext.appArmorProfile.type is {profile}")
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
                value == "runtime/default" or value.startswith("localhost/")):
            problems.append(f"AppArmor: annotation {key}={value}")
    # SELinux
    for where, sc in [("spec", pod_sc), *((w, c.get("securityContext") or {}) for w, c in containers)]:
        options = sc.get("seLinuxOptions") or {}
        if options.get("type", "") not in _SELINUX_TYPES:
            problems.append(f"SELinux: {where} seLinuxOptions.type {options.get('type')}")
        for key in ("user", "role"):
            if options.get(key):
                problems.append(f"SELinux: {where} seLinuxOptions.{key} must be unset")
    # Seccomp (baseline: not Unconfined)
    for where, sc in [("spec", pod_sc), *((w, c.get("securityContext") or {}) for w, c in containers)]:
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            problems.append(f"Seccomp: {where} seccompProfile.type must not be Unconfined")
    for where, c in containers:
        sc = c.get("securityContext") or {}
        # HostProcess, Privileged Containers
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            problems.append(f"HostProcess: {where}.securityContext.windowsOptions.hostProcess must not be true")
        if sc.get("privileged"):
            problems.append(f"Privileged Containers: {where}.securityContext.privileged must not be true")
        # Capabilities
        added = set((sc.get("capabilities") or {}).get("add") or [])
        if added - _BASELINE_CAPABILITIES:
            problems.append(f"Capabilities: {where} adds {sorted(added - _BASELINE_CAPABILITIES)}")
        # Host Ports
        for port in c.get("ports") or []:
            if port.get("hostPort") not in (None, 0):
                problems.append(f"Host Ports: {where} hostPort {port.get('hostPort')}")
        # /proc Mount Type
        if sc.get("procMount", "Default") != "Default":
            problems.append(f"/proc Mount Type: {where}.securityContext.procMount must be Default")
    return problems


def _restricted(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    pod_sc = spec.get("securityContext") or {}
    containers = _all_containers(spec)
    # Volume Types
    for volume in spec.get("volumes") or []:
        sources = set(volume) - _VOLUME_META
        if not sources <= _RESTRICTED_VOLUMES:
            problems.append(f"Volume Types: volume {volume.get('name')} uses {sorted(sources - _RESTRICTED_VOLUMES)}")
    # Running as Non-root user: pod runAsUser must not be 0
    if pod_sc.get("runAsUser") == 0:
        problems.append("Running as Non-root user: spec.securityContext.runAsUser must not be 0")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    for where, c in containers:
        sc = c.get("securityContext") or {}
        # Privilege Escalation
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"Privilege Escalation: {where}.securityContext.allowPrivilegeEscalation must be false")
        # Running as Non-root: the container's runAsNonRoot true, or the pod's and not false here
        non_root = sc.get("runAsNonRoot")
        if not (non_root is True or (pod_non_root and non_root is None)):
            problems.append(f"Running as Non-root: {where} must set runAsNonRoot true (or inherit the pod's)")
        if sc.get("runAsUser") == 0:
            problems.append(f"Running as Non-root user: {where}.securityContext.runAsUser must not be 0")
        # Seccomp: RuntimeDefault or Localhost, on the pod or on every container
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"Seccomp: {where} seccompProfile.type must be RuntimeDefault or Localhost "
                            f"(here or on the pod), is {seccomp}")
        # Capabilities: drop ALL, add only NET_BIND_SERVICE
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"Capabilities: {where} must drop ALL")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            problems.append(f"Capabilities: {where} may add only NET_BIND_SERVICE, adds {sorted(extra)}")
    return problems


def pss_problems(spec: Mapping[str, Any], *, level: str = "restricted",
                 annotations: Mapping[str, str] | None = None) -> list[str]:
    """What keeps a pod with ``spec`` (and pod ``annotations``) from passing ``level``."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    problems = _baseline(spec, annotations or {})
    if level == "restricted":
        problems += _restricted(spec)
    return problems
