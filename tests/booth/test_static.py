"""The booth's static files: SRI pins every script and style, nothing inline, vendored code as documented.

The integrity check is a second, independent implementation of what scripts/vendor-booth.mjs --sri writes: it walks
each page's module graph itself and recomputes every hash, so a stale or missing pin fails here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
import sys
from html.parser import HTMLParser

import pytest

from .conftest import ROOT, STATIC, run_node

PAGES = sorted(p.name for p in STATIC.glob("*.html"))
IMPORT = re.compile(r"""^[ \t]*(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?(['"])([^'"]+)\1""", re.M)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed((STATIC / page).read_text())
    return tags


def sri(path: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384((STATIC / path).read_bytes()).digest()).decode()


def graph(entry: str) -> list[str]:
    seen: list[str] = []
    todo = [entry]
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.append(file)
        for _, spec in IMPORT.findall((STATIC / file).read_text()):
            assert spec.startswith("."), f"{file}: bare import {spec!r} cannot load in a browser"
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(file), spec)))
    return seen


def test_pages_exist() -> None:
    assert PAGES == ["check.html", "index.html", "results.html"]


@pytest.mark.parametrize("page", PAGES)
def test_every_script_and_style_is_pinned_by_integrity(page: str) -> None:
    tags = parse(page)
    scripts = [a for t, a in tags.tags if t == "script"]
    assert len(scripts) == 1 and scripts[0].get("type") == "module", "one module entry per page"
    entry = scripts[0]["src"]
    assert entry and scripts[0].get("integrity") == sri(entry)
    preloads = {
        a["href"]: a.get("integrity") for t, a in tags.tags if t == "link" and a.get("rel") == "modulepreload"
    }
    modules = graph(entry)[1:]
    assert set(preloads) == set(modules), "modulepreload list differs from the import graph"
    for path in modules:
        assert preloads[path] == sri(path), f"{page}: stale integrity for {path}"
    styles = [a for t, a in tags.tags if t == "link" and a.get("rel") == "stylesheet"]
    assert styles and all(a.get("integrity") == sri(a["href"]) for a in styles)


@pytest.mark.parametrize("page", PAGES)
def test_nothing_inline(page: str) -> None:
    tags = parse(page)
    assert tags.script_text.strip() == "", "inline script"
    assert all(t != "style" for t, _ in tags.tags), "inline <style>"
    for tag, attrs in tags.tags:
        assert "style" not in attrs, f"style attribute on <{tag}>"
        assert not any(k.startswith("on") for k in attrs), f"inline event handler on <{tag}>"
        for k in ("href", "src"):
            value = attrs.get(k) or ""
            assert not re.match(r"^(https?:)?//", value), f"third-party origin {value}"
            assert not value.startswith("javascript:")


def test_scripts_use_no_html_sinks_or_eval() -> None:
    # Trusted Types in the CSP would refuse these at run time; catch them before a browser does.
    for path in (STATIC / "js").glob("*.js"):
        text = path.read_text()
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert sink not in text, f"{path.name} uses {sink}"


def test_vendored_packages_carry_licences_and_versions() -> None:
    versions = json.loads((STATIC / "vendor/VERSIONS.json").read_text())["packages"]
    lock = json.loads((ROOT / "booth/package-lock.json").read_text())["packages"]
    for name, meta in versions.items():
        assert (STATIC / "vendor" / meta["directory"] / "LICENSE").read_text().startswith("The MIT License")
        assert lock[f"node_modules/{name}"]["version"] == meta["version"]


def test_sri_generator_agrees(node: str) -> None:
    done = run_node(node, ["scripts/vendor-booth.mjs", "--check"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_js_unit_tests(node: str) -> None:
    """node --test on tests/booth/js/: the test vectors byte for byte, credentials, layouts, Merkle checks.

    The consistency and live-board tests call this interpreter's ``plebiscite.merkle`` as their oracle.
    """
    done = run_node(
        node, ["--test", "tests/booth/js/"], env={"PLEBISCITE_PYTHON": sys.executable}, timeout=300
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert re.search(r"^# fail 0$", done.stdout, re.M) and not re.search(r"^# pass 0$", done.stdout, re.M)
