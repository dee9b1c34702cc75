"""Every command of the fenced shell blocks of the README and of the docs/ pages it links works
verbatim: each runs, in README order and then page by page in the order of their first link from
the README, in a fresh clone of the project after ``make setup`` (no instance yet, no activated
venv), with an empty home folder, on the small embedded world, exits 0 within its timeout and
prints no deprecation warning or telemetry banner; afterwards the home folder holds no usage data
of Dagster's (``~/.dagster/.telemetry``, ``~/.dagster/logs/event.log``). ``make
test``/``run``/``bench``/``dev``, ``dg dev`` and the benchmark modules (``python -m
ree_assets_tests.bench...``, what ``make bench`` runs) are left to CI, ``make bench`` and the other
tests. Every relative link of these pages resolves (file and heading), and every page under docs/
is linked from the README."""

import re
import subprocess
from pathlib import Path

import pytest

from ree_assets_tests.fresh_clone import clone_env, fresh_clone

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)
SHELL_BLOCK = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.M | re.S)
NOT_RUN = re.compile(
    r"^(make (test|run|bench|dev)|(\.venv/bin/)?dg dev|(\w+=\S+\s+)*(\.venv/bin/)?python -m ree_assets_tests\.bench)\b"
)
TIMEOUT = 300  # seconds per command: a guard against a hang, not a timing assertion
#: Words that must not appear in a command's output.
NOISE = ("deprecat", "supersede", "telemetry")


def shell_commands(markdown: str) -> list[str]:
    """The commands of the fenced bash/sh/shell blocks of ``markdown``, in order: one per line
    (a trailing backslash continues it), comments and blank lines dropped."""
    commands = []
    for block in SHELL_BLOCK.findall(markdown):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def relative_links(markdown: str) -> list[str]:
    """The targets of the Markdown links of ``markdown`` outside code blocks that are not URLs, in
    order (``page.md``, ``page.md#heading``, ``#heading``)."""
    text = CODE_BLOCK.sub("", markdown)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown`` outside code blocks: lower case,
    punctuation other than ``-`` and ``_`` dropped, spaces to ``-``."""
    text = CODE_BLOCK.sub("", markdown)
    titles = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}


def linked_pages() -> list[Path]:
    """The pages under docs/ the README links, in the order of their first link."""
    targets = [(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README.read_text())]
    return list(dict.fromkeys(path for path in targets if path.parent == DOCS.resolve()))


def documented_commands() -> list[str]:
    """The commands the test runs: the README's, then those of each linked docs page, in order."""
    pages = [README, *linked_pages()]
    commands = [c for page in pages for c in shell_commands(page.read_text())]
    return [c for c in commands if not NOT_RUN.match(c)]


def test_links_and_anchors_are_read_outside_code():
    markdown = (
        "## Layout of `REE_DATA_DIR`\n[a](docs/x.md) [b](docs/x.md#y) [c](#layout-of-ree_data_dir) "
        "[d](https://example.org)\n```bash\n# not a heading [e](z.md)\n```\n"
    )
    assert relative_links(markdown) == ["docs/x.md", "docs/x.md#y", "#layout-of-ree_data_dir"]
    assert heading_anchors(markdown) == {"layout-of-ree_data_dir"}


def test_every_docs_page_is_linked_and_every_link_resolves():
    pages = linked_pages()
    unlinked = sorted(path.name for path in DOCS.glob("*.md") if path.resolve() not in pages)
    assert not unlinked, f"docs pages the README does not link: {unlinked}"
    for page in [README, *pages]:
        for target in relative_links(page.read_text()):
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.is_file(), f"{page.name}: link to {target}: no such file"
            assert not anchor or anchor in heading_anchors(linked.read_text()), f"{page.name}: no heading {target}"


def test_shell_commands_are_read_from_fenced_blocks_only():
    markdown = (
        "text `dg dev`\n```bash\nmake run   # all\n.venv/bin/dg list \\\n  defs\n"
        "N=1 .venv/bin/python -m ree_assets_tests.bench.x\n```\n```python\nx = 1\n```\n"
    )
    assert shell_commands(markdown) == [
        "make run",
        ".venv/bin/dg list    defs",
        "N=1 .venv/bin/python -m ree_assets_tests.bench.x",
    ]
    assert [c for c in shell_commands(markdown) if not NOT_RUN.match(c)] == [".venv/bin/dg list    defs"]


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """A fresh clone after ``make setup`` (``fresh_clone``): no data and no instance yet."""
    return fresh_clone(tmp_path_factory.mktemp("readme") / "ree_assets")


def test_every_readme_command_works_verbatim(project_copy):
    commands = documented_commands()
    assert any(c.startswith(".venv/bin/dg launch") for c in commands), commands
    home = project_copy.parent / "home"
    home.mkdir()
    env = clone_env(project_copy, REE_WORLD_SIZE="small", HOME=str(home))
    outputs = {}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=project_copy, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        outputs[command] = output = done.stdout + done.stderr
        assert done.returncode == 0, f"README command failed ({done.returncode}): {command}\n{output[-3000:]}"
        assert not [word for word in NOISE if word in output.lower()], f"{command} printed:\n{output[-3000:]}"
    assert "Run: " in outputs[".venv/bin/dagster run list"], "runs launched by dg are not in the project's instance"
    assert not (home / ".dagster" / ".telemetry").exists() and not (home / ".dagster" / "logs" / "event.log").exists()
    assert (project_copy / ".dagster_home" / "dagster.yaml").is_file(), "the project's instance was not created"
