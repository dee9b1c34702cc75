"""The Dagster UI serves the code location: a real webserver on loopback, queried over GraphQL."""

import pytest

from ree_assets_tests.webserver import graphql, running_webserver

pytestmark = pytest.mark.slow


def test_the_webserver_lists_every_group_and_the_main_job(tmp_path):
    with running_webserver(tmp_path) as url:
        nodes = graphql(url, "{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
        groups = {node["groupName"] for node in nodes}
        assert {"sources", "io_table", "ge_model"} <= groups
        assert {"ree_total_requirements", "ge_counterfactual_endogenous"} <= {n["assetKey"]["path"][-1] for n in nodes}
        jobs = graphql(url, "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }")
        names = {job["name"] for repo in jobs["repositoriesOrError"]["nodes"] for job in repo["jobs"]}
        assert "replicate_afsv" in names
