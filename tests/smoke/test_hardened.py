"""The ``hardened`` security profile, booted (issue 11): the ``k8s`` variant as the run scenarios
configure it, every pod under ``hardened``: every process as UID/GID 10001 (the harness's kubelet
runs each container as its ``runAsUser``, so a path the process writes that the profile leaves
read-only or foreign fails here), Secrets as files behind the ``sh`` wrapper, the API token as an
explicit projected volume, the webserver on 8080. It boots, and a run launched through GraphQL
goes through the daemon's queue, a run Job created with the daemon's projected token, and ends
``SUCCESS``.

Not emulated (kubelet.py): read-only root filesystems, capabilities, seccomp, sysctls, image
pull policies; PostgreSQL's server runs as this machine's ``postgres`` user whatever the pod says.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import synth_config

from .runs import RELEASE, launch_run, smoke_config, user_objects, wait_for_run
from .system import Tools, booted

pytestmark = pytest.mark.smoke

RUN_TIMEOUT = 240.0


def test_the_hardened_profile_boots_and_runs(smoke_tools: Tools) -> None:
    config = dataclasses.replace(smoke_config("k8s"), security_profile="hardened")
    objects = [*synth_config(config), *user_objects(config)]
    with booted(objects, name="hardened-k8s", tools=smoke_tools) as system:
        for key in system.pods:
            if system.pods[key].kind != "Job":
                system.ready(key)
        webserver = system.ready(f"Deployment/{RELEASE.webserver}")
        container = webserver.container()
        assert container.user is not None and container.user.startswith("10001:10001:")
        assert webserver.exec(container, ["id", "-u"]).output.strip() == "10001"
        outcome = wait_for_run(system, launch_run(system, "smoke_op_job"), timeout=RUN_TIMEOUT)
        assert outcome.status == "SUCCESS", outcome.messages()
        # The daemon reached the API with the token of its explicit projected volume.
        daemon = system.ready(f"Deployment/{RELEASE.daemon}").name
        assert any(r.pod == daemon for r in system.api.made("POST", "/jobs"))
