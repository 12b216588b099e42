"""Gzipped size of the widget: the loader every page pays for, and the whole widget."""

import gzip
import pathlib

WIDGET = pathlib.Path(__file__).resolve().parents[1] / "widget"
LOADER_BUDGET, WHOLE_BUDGET = 3 * 1024, 15 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def measure() -> dict:
    loader = (WIDGET / "loader.js").read_bytes()
    chat = (WIDGET / "chat.js").read_bytes()
    return {
        "loader_raw": len(loader),
        "loader_gz": gz(loader),
        "chat_gz": gz(chat),
        "whole_gz_two_files": gz(loader) + gz(chat),
    }


def main():
    m = measure()
    print("Widget size (gzip -9)")
    print(
        f"  loader.js          {m['loader_gz']:>6} B gz  (budget {LOADER_BUDGET}; raw {m['loader_raw']} B)"
    )
    print(f"  chat.js            {m['chat_gz']:>6} B gz  (loaded on demand)")
    print(
        f"  whole widget       {m['whole_gz_two_files']:>6} B gz  (budget {WHOLE_BUDGET}; as two files)"
    )
    return m


if __name__ == "__main__":
    main()
