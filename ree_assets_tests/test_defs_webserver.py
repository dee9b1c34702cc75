"""The Dagster UI serves the code location: a real webserver on loopback, queried over GraphQL."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def test_the_webserver_lists_every_group_and_the_main_job(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):  # a guard against a hang, not a timing assertion
            assert server.poll() is None, f"the webserver exited with code {server.returncode}"
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the webserver never answered on loopback")
        nodes = _graphql(url, "{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
        groups = {node["groupName"] for node in nodes}
        assert {"sources", "io_table", "ge_model"} <= groups
        assert {"ree_total_requirements", "ge_counterfactual_endogenous"} <= {n["assetKey"]["path"][-1] for n in nodes}
        jobs = _graphql(url, '{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }')
        names = {job["name"] for repo in jobs["repositoriesOrError"]["nodes"] for job in repo["jobs"]}
        assert "replicate_afsv" in names
    finally:
        server.terminate()
        server.wait(timeout=30)
