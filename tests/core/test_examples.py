"""The manifests in examples/ are what the README's tour passes to `init`: they must stay valid."""

import json
from pathlib import Path

import pytest

from plebiscite.setup.manifest import Manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["yesno.json", "multi.json", "coercion-yesno.json"])
def test_example_manifest_is_valid(name: str) -> None:
    manifest = Manifest.model_validate(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    assert manifest.questions
