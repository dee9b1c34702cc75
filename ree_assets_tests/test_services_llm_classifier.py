"""The llm classifier against a fake OpenAI-compatible server on loopback: answers, cache,
retries after timeouts, 5xx and malformed answers, and the error when every attempt fails."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polars as pl
import pytest

from ree_assets.services.llm_classifier import (
    ANSWER_SCHEMA,
    LlmClassificationError,
    LlmSettings,
    llm_classify,
    parse_answer,
)

GOOD = {"sic4": "3499", "technology": "Magnet", "ree_enhancing": True}


class FakeEndpoint(BaseHTTPRequestHandler):
    """Answers from the server's script: a list of behaviours consumed one per request
    ("ok", "slow", "500", "garbage", "bad_label"); "ok" once the script is exhausted."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        behaviour = self.server.script.pop(0) if self.server.script else "ok"
        if behaviour == "slow":
            time.sleep(0.5)
        if behaviour == "500":
            self.send_response(503)
            self.end_headers()
            return
        content = {
            "ok": json.dumps(GOOD),
            "slow": json.dumps(GOOD),
            "garbage": "not json {",
            "bad_label": json.dumps({**GOOD, "technology": "Toaster"}),
        }[behaviour]
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    httpd.requests, httpd.script = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def settings(server, tmp_path, **overrides):
    return LlmSettings(
        **{
            "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
            "model": "fake-model",
            "cache_dir": tmp_path / "cache",
            "timeout": 0.2,
            "max_retries": 2,
            "backoff": 0.01,
            **overrides,
        }
    )


PATENTS = pl.DataFrame(
    {
        "patent_id": ["1", "2"],
        "title": ["Magnet", "Magnet"],
        "abstract": ["An Nd-Fe-B magnet with less Dy.", "A magnet free of heavy rare earths."],
    }
)


def test_answers_follow_the_schema_and_are_cached(server, tmp_path):
    labels = llm_classify(PATENTS, settings(server, tmp_path))
    assert labels.to_dicts() == [{"patent_id": "1", **GOOD}, {"patent_id": "2", **GOOD}]
    request = server.requests[0]
    assert request["model"] == "fake-model" and request["response_format"]["json_schema"] == ANSWER_SCHEMA
    assert "Nd-Fe-B" in request["messages"][1]["content"]
    llm_classify(PATENTS, settings(server, tmp_path))
    assert len(server.requests) == 2  # the rerun is served from the cache
    llm_classify(PATENTS, settings(server, tmp_path, model="other-model"))
    assert len(server.requests) == 4  # a new prompt hash asks again


def test_timeouts_errors_and_malformed_answers_are_retried(server, tmp_path):
    server.script = ["slow", "500", "garbage"]
    labels = llm_classify(PATENTS.head(1), settings(server, tmp_path, max_retries=3))
    assert labels.row(0, named=True)["technology"] == "Magnet"
    assert len(server.requests) == 4


def test_every_attempt_failing_names_the_patent(server, tmp_path):
    server.script = ["bad_label"] * 3
    with pytest.raises(LlmClassificationError, match="patent 1: no valid answer .* 3 attempts.*Toaster"):
        llm_classify(PATENTS.head(1), settings(server, tmp_path))
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_parse_answer_rejects_bad_labels():
    assert parse_answer(json.dumps(GOOD)) == GOOD
    for bad in ({**GOOD, "sic4": "5812"}, {**GOOD, "ree_enhancing": "yes"}, ["3499"]):
        with pytest.raises(ValueError):
            parse_answer(json.dumps(bad))
