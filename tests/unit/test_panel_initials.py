"""The panel's avatar initials (panel/core/dom.js), run in Node as the browser runs them:
letters and digits only, a neutral glyph when a name has none (a messenger customer's
name may be markup, emoji or invisible characters: never a stray "<" nor a blank)."""

import json
import shutil
import subprocess

from infra import panel_build

NODE = shutil.which("node")


def _initials(names: list[str]) -> list[str]:
    script = (
        f"import {{ initials }} from {json.dumps((panel_build.PANEL / 'core/dom.js').as_uri())};"
        "const names = JSON.parse(process.argv[1]);"
        "process.stdout.write(JSON.stringify(names.map(initials)));"
    )
    run = subprocess.run(
        [NODE, "--input-type=module", "-e", script, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(run.stdout)


def test_initials_are_letters_or_digits_with_a_neutral_glyph_otherwise():
    names = [
        "N<b>",
        "alma admin",
        "Telegram user",
        "  ",
        "",
        "<>",
        "🦊",
        "\u200b",
        "\u3000Émile 2nd",
        "(Bob) [Smith]",
        "42",
    ]
    assert _initials(names) == ["N", "AA", "TU", "•", "•", "•", "•", "•", "É2", "BS", "4"]
