"""The widget as served: minified, within its budgets, and what deploy uploads."""

import gzip

from bench.widget_size import LOADER_BUDGET, SCRIPTS, WHOLE_BUDGET
from infra.widget_build import WIDGET, build, main, served


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def test_every_widget_script_is_served_smaller_with_its_header_kept():
    for name in SCRIPTS:
        source = (WIDGET / name).read_text()
        body = served(name).decode()
        assert len(body) < len(source) * 0.8
        if source.startswith("/*!"):
            assert body.startswith("/*!")


def test_the_served_widget_is_within_its_budgets():
    assert _gz(served("loader.js")) <= LOADER_BUDGET
    assert sum(_gz(served(name)) for name in SCRIPTS) <= WHOLE_BUDGET


def test_only_widget_scripts_are_served():
    assert served("nope.js") is None
    assert served("../app.py") is None
    assert served("loader.js.map") is None


def test_the_build_writes_what_is_served(tmp_path):
    assert main([str(tmp_path)]) == 0
    for name in SCRIPTS:
        assert (tmp_path / name).read_bytes() == served(name)
    assert sorted(p.name for p in build(tmp_path)) == sorted(p.name for p in WIDGET.glob("*.js"))
