"""Gzipped size of the widget as served (minified by infra/widget_build): the loader every
page pays for, and the whole widget. The readable sources' sizes are printed beside."""

import gzip

from infra.widget_build import served, sources

LOADER_BUDGET, WHOLE_BUDGET = 3 * 1024, 15 * 1024
SCRIPTS = ("loader.js", "chat.js", "rules.js", "auto.js")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def measure() -> dict:
    sizes, readable = {}, sources()  # chat.js: its parts (widget/chat/*.js) as one script
    for name in SCRIPTS:
        source = readable[name].encode()
        sizes[name] = {"served_gz": gz(served(name)), "source_gz": gz(source)}
    sizes["whole_gz"] = sum(sizes[name]["served_gz"] for name in SCRIPTS)
    return sizes


def main():
    m = measure()
    print("Widget size as served (minified, gzip -9; readable source in brackets)")
    for name in SCRIPTS:
        note = f"budget {LOADER_BUDGET}" if name == "loader.js" else "loaded on demand"
        print(
            f"  {name:<12} {m[name]['served_gz']:>6} B gz  ({m[name]['source_gz']} B source; {note})"
        )
    print(f"  whole widget {m['whole_gz']:>6} B gz  (budget {WHOLE_BUDGET}; {len(SCRIPTS)} files)")
    return m


if __name__ == "__main__":
    main()
