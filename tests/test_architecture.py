"""The layering promises, checked on the source: who may import streamlit, the SDK and SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = ("portal", "storage", "localserver", "components", "app_pages")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*dirs: str) -> list[Path]:
    missing = [d for d in dirs if not (ROOT / d).is_dir()]
    assert not missing, f"no such folder: {missing}"  # a renamed folder must not make a rule pass vacuously
    return [p for d in dirs for p in (ROOT / d).rglob("*.py")] + ([ROOT / "streamlit_app.py"] if not dirs else [])


def _importers(prefix: str, files: list[Path]) -> list[str]:
    return sorted(
        str(p.relative_to(ROOT)) for p in files if any(n == prefix or n.startswith(prefix + ".") for n in _imports(p))
    )


# Each inference SDK has exactly one importer: its backend module in portal/inference/.
SDK_OWNERS = {
    "azure.ai.inference": ["portal/inference/azure_backend.py"],
    "openai": ["portal/inference/openai_backend.py"],
}


@pytest.mark.parametrize("sdk", sorted(SDK_OWNERS))
def test_each_inference_sdk_is_imported_by_its_backend_module_only(sdk: str):
    files = _modules(*APP_DIRS) + [ROOT / "streamlit_app.py"]
    assert _importers(sdk, files) == SDK_OWNERS[sdk]


def test_callers_reach_backends_only_through_the_factory():
    """Outside portal/inference/ nothing names a concrete backend: the protocol and make_backend are the contract."""
    outside = [p for p in _modules(*APP_DIRS) + [ROOT / "streamlit_app.py"] if not str(p.relative_to(ROOT)).startswith("portal/inference")]
    for backend in ("portal.inference.azure_backend", "portal.inference.openai_backend"):
        assert _importers(backend, outside) == [], backend


def test_domain_storage_and_server_never_import_streamlit():
    assert _importers("streamlit", _modules("portal", "storage", "localserver")) == []


def test_pages_never_import_azure_or_sqlalchemy():
    pages = _modules("app_pages")
    assert _importers("azure", pages) == []
    assert _importers("sqlalchemy", pages) == []


def test_domain_never_imports_sqlalchemy():
    """portal/ works through storage's abstractions (storage.database: unit_of_work, SessionFactory,
    DatabaseUnavailable; storage.repository), never SQLAlchemy itself, not even for a type."""
    assert _importers("sqlalchemy", _modules("portal")) == []


def test_no_pages_folder_next_to_the_entry_script():
    """A `pages/` folder beside streamlit_app.py switches Streamlit to its legacy (v1) multipage mode
    (PagesManager checks for it, with no option to turn that off): a direct link such as /model_info
    would then run the page file without the router. The st.Page files live in app_pages/."""
    assert not (ROOT / "pages").exists()


def test_storage_never_imports_the_domain_or_the_server():
    storage = _modules("storage")
    assert _importers("portal", storage) == []
    assert _importers("localserver", storage) == []
