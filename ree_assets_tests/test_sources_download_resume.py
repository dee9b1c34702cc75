"""Downloads resumed across runs, against the loopback publisher: a run whose connection drops
for good keeps its ``.part`` file in the cache and the next run continues it with ``Range`` (and
``If-Range`` with the file's ETag); it starts again when the server ignores the Range or the file
changed. A verified cached file is not checked again while it is unchanged. Payload: the real
PatentsView citation sample, zipped as PatentsView publishes its tables."""

import io
import os
import zipfile

import pytest

from ree_assets.errors import DownloadError
from ree_assets.sources import download
from ree_assets.sources.download import Retry, fetch, is_cached, verified_json
from ree_assets_tests import loopback

ONE_ATTEMPT = Retry(attempts=1)
PATH = "/download/g_us_patent_citation.tsv.zip"
MEMBER = "g_us_patent_citation.tsv"


def release(shared_data, copies: int = 300) -> bytes:
    """The sample ``copies`` times over, in a zip (stored, so about a megabyte is sent)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        sample = shared_data / "patents" / "patentsview_sample" / "uspatentcitation.tsv"
        archive.writestr(MEMBER, sample.read_bytes() * copies)
    return buffer.getvalue()


@pytest.fixture
def payload(shared_data) -> bytes:
    return release(shared_data)


def interrupted_run(handler, url, cached, after: int) -> None:
    """A first run whose only attempt drops after ``after`` bytes: it fails, keeping the bytes."""
    handler.script[PATH] = [("drop", after)]
    with pytest.raises(DownloadError, match=f"the {after} bytes received are kept in .*continued by the next run"):
        fetch(url, cached, "patent_citations", member=MEMBER, retry=ONE_ATTEMPT)


def test_a_failed_run_is_continued_by_the_next_with_range(payload, tmp_path):
    with loopback.publisher({PATH: payload}) as (handler, base):
        cached = tmp_path / "cache" / "g_us_patent_citation.tsv.zip"
        interrupted_run(handler, f"{base}{PATH}", cached, after=5000)
        partial = cached.with_name(".g_us_patent_citation.tsv.zip.part")
        assert partial.read_bytes() == payload[:5000] and not cached.exists()
        fetch(f"{base}{PATH}", cached, "patent_citations", member=MEMBER, retry=ONE_ATTEMPT)
        (_, first_range, _), (_, second_range, if_range) = handler.requests
        assert first_range is None and second_range == "bytes=5000-" and if_range.startswith('"')
        assert cached.read_bytes() == payload and not partial.exists()
        assert sorted(p.name for p in cached.parent.iterdir()) == [verified_json(cached).name, cached.name]


@pytest.mark.parametrize("change", ["server ignores Range", "file changed", "file changed, If-Range ignored"])
def test_the_next_run_starts_again_when_the_part_cannot_be_continued(payload, shared_data, tmp_path, change):
    with loopback.publisher({PATH: payload}) as (handler, base):
        cached = tmp_path / "cache" / "g_us_patent_citation.tsv.zip"
        interrupted_run(handler, f"{base}{PATH}", cached, after=5000)
        if change == "server ignores Range":
            handler.ignore_range.add(PATH)
            served = payload
        else:  # a new release: another ETag, so If-Range makes the server send the whole new file
            served = release(shared_data, copies=301)
            handler.files[PATH] = served
        if change == "file changed, If-Range ignored":  # a 206 of the new file: its ETag tells
            handler.ignore_if_range.add(PATH)
        fetch(f"{base}{PATH}", cached, "patent_citations", retry=ONE_ATTEMPT)
        assert handler.requests[1][1] == "bytes=5000-" and cached.read_bytes() == served


def test_a_partial_file_without_its_record_is_fetched_from_zero(payload, tmp_path):
    with loopback.publisher({PATH: payload}) as (handler, base):
        cached = tmp_path / "cache" / "g_us_patent_citation.tsv.zip"
        cached.parent.mkdir(parents=True)
        cached.with_name(f".{cached.name}.part").write_bytes(b"left by an older version")
        fetch(f"{base}{PATH}", cached, "patent_citations", member=MEMBER, retry=ONE_ATTEMPT)
        assert handler.requests[-1][1] is None and cached.read_bytes() == payload


def test_a_verified_file_is_not_checked_again_until_it_changes(payload, tmp_path, monkeypatch):
    checks = []
    real_check = download.check_content
    monkeypatch.setattr(download, "check_content", lambda *a, **k: checks.append(a[0]) or real_check(*a, **k))
    with loopback.publisher({PATH: payload}) as (_, base):
        cached = tmp_path / "cache" / "g_us_patent_citation.tsv.zip"
        fetch(f"{base}{PATH}", cached, "patent_citations", member=MEMBER)
    assert len(checks) == 1  # at download
    for _ in range(3):
        assert is_cached(cached, "patent_citations", member=MEMBER)
    assert len(checks) == 1
    assert is_cached(cached, "patent_citations", member="other.tsv") is False  # another check runs, and fails
    assert len(checks) == 2 and not cached.exists()


def test_a_changed_file_is_checked_again(payload, tmp_path, monkeypatch):
    cached = tmp_path / "g_us_patent_citation.tsv.zip"
    cached.write_bytes(payload)
    assert is_cached(cached, "patent_citations", member=MEMBER)
    checks = []
    monkeypatch.setattr(download, "check_content", lambda *a, **k: checks.append(a[0]))
    assert is_cached(cached, "patent_citations", member=MEMBER) and checks == []
    stat = cached.stat()
    os.utime(cached, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert is_cached(cached, "patent_citations", member=MEMBER) and checks == [cached]
