"""The widget as served: minified by terser (locals renamed, globals, properties and
headers kept), within its budgets, and what deploy uploads."""

import gzip
import re
import subprocess

import pytest

from bench.widget_size import LOADER_BUDGET, SCRIPTS, WHOLE_BUDGET
from infra import widget_build
from infra.widget_build import WIDGET, MinifierError, build, main, minified, served, sources

DECLARED = re.compile(r"\b(?:var|let|const|function)\s+([A-Za-z_$][\w$]*)")
MEMBER = re.compile(r"\.([A-Za-z_$][\w$]*)")
HEADER = re.compile(r"/\*!.*?\*/", re.S)


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_widget_script_is_served_smaller_with_its_header_kept(name):
    source = sources()[name]
    body = served(name).decode()
    assert len(body) < len(source) * 0.7
    header = HEADER.match(source)
    if header:
        # terser writes "</script" as "<\/script" even in comments (inline_script)
        assert body.startswith(header.group(0).replace("</script", "<\\/script"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_locals_get_short_names_and_no_member_is_renamed(name):
    source = sources()[name]
    body = served(name).decode()
    assert {n for n in DECLARED.findall(source) if len(n) > 2}, "the source names its locals"
    assert {n for n in DECLARED.findall(body) if len(n) > 2} == set()
    # Properties (window.__lcWidget's members, the config, the DOM) are never mangled:
    # every member the served code reads or sets is one the source names.
    assert set(MEMBER.findall(body)) <= set(MEMBER.findall(source))


def test_the_globals_shared_between_the_files_and_the_page_keep_their_names():
    for name in SCRIPTS:
        assert "__lcWidget" in served(name).decode()
    loader = served("loader.js").decode()
    assert ".LiveChat=" in loader
    assert ".LiveChatQueue" in loader


def test_the_served_widget_is_within_its_budgets():
    assert _gz(served("loader.js")) <= LOADER_BUDGET
    assert sum(_gz(served(name)) for name in SCRIPTS) <= WHOLE_BUDGET


def test_only_widget_scripts_are_served():
    assert served("nope.js") is None
    assert served("../app.py") is None
    assert served("loader.js.map") is None
    assert served("chat/1-state.js") is None  # a part is served only in its bundle


def test_chat_js_is_its_parts_in_name_order_inside_one_guarded_function():
    parts = sorted((WIDGET / "chat").glob("*.js"))
    assert len(parts) > 1 and not (WIDGET / "chat.js").exists()
    source = sources()["chat.js"]
    assert source.startswith("/*! Live chat widget UI.")
    opening = source.index("(function (w, d) {")
    assert "if (!W || W.chat || !W.root) return;" in source[opening : opening + 200]
    assert source.rstrip().endswith("})(window, document);")
    at = opening
    for part in parts:
        body = part.read_text()
        body = body[body.index("*/") + 2 :].strip() if body.startswith("/*!") else body.strip()
        found = source.index(body, at)  # each part whole, after the one before it
        at = found + len(body)
    # One function: the parts' top-level names are its locals, renamed like any other.
    assert "var W=window.__lcWidget" not in served("chat.js").decode()
    assert "function openChat" not in served("chat.js").decode()


def test_a_folder_and_a_file_of_the_same_name_are_refused(monkeypatch, tmp_path):
    (tmp_path / "chat").mkdir()
    (tmp_path / "chat" / "1.js").write_text("var a = 1;\n")
    (tmp_path / "chat.js").write_text("var b = 2;\n")
    monkeypatch.setattr(widget_build, "WIDGET", tmp_path)
    with pytest.raises(MinifierError, match="would both be chat.js"):
        sources()


def test_the_build_writes_what_is_served(tmp_path):
    assert main([str(tmp_path)]) == 0
    for name in SCRIPTS:
        assert (tmp_path / name).read_bytes() == served(name)
    assert sorted(p.name for p in build(tmp_path)) == sorted(SCRIPTS)


def test_served_scripts_come_from_the_cache_without_starting_node(monkeypatch):
    served("loader.js")

    def no_node(*args, **kwargs):
        raise AssertionError("node started again for sources it has minified")

    monkeypatch.setattr(subprocess, "run", no_node)
    for name in SCRIPTS:
        assert served(name)


def test_a_source_terser_cannot_parse_is_a_clear_error():
    with pytest.raises(MinifierError, match=r"broken\.js: .*line 1"):
        minified("function (", name="broken.js")


@pytest.mark.parametrize("missing", ["node", "node_modules"])
def test_a_missing_minifier_says_run_make_install(monkeypatch, tmp_path, capsys, missing):
    if missing == "node":
        monkeypatch.setattr(widget_build.shutil, "which", lambda _name: None)
    else:
        monkeypatch.setattr(widget_build, "TERSER", tmp_path / "node_modules/terser/package.json")
    with pytest.raises(MinifierError, match="run make install"):
        minified("var not_cached_yet = 1;")
    monkeypatch.setattr(widget_build, "_CACHE", {})
    assert main([str(tmp_path / "out")]) == 1
    assert "run make install" in capsys.readouterr().err
