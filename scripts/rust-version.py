#!/usr/bin/env python3
"""The rust-version the published crates can stand behind: the highest `rust-version` any
crate in their dependency tree declares (normal and build dependencies, as Cargo.lock
resolves them; dev-dependencies do not reach users). Prints it with the crates that need it,
and fails when the workspace declares less.

    python3 scripts/rust-version.py            # check
    python3 scripts/rust-version.py --print    # only print the computed value
"""
import json
import subprocess
import sys
import tomllib
from pathlib import Path


def version_key(v):
    return tuple(int(x) for x in v.split("."))


def main():
    root = Path(__file__).resolve().parent.parent
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    members = set(meta["workspace_members"])
    # The crates meant for crates.io: the members without `publish = false`.
    published = [m for m in members if packages[m].get("publish") != []]
    seen, stack = set(), list(published)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            if kinds & {None, "build"}:
                stack.append(dep["pkg"])
    needs = sorted(
        (version_key(packages[p]["rust_version"]), packages[p]["name"], packages[p]["version"])
        for p in seen
        if p not in members and packages[p].get("rust_version")
    )
    if not needs:
        print("no dependency declares a rust-version")
        return 0
    highest = needs[-1][0]
    computed = ".".join(str(x) for x in highest[:2])
    which = [f"{n} {v}" for k, n, v in needs if k[:2] == highest[:2]]
    if "--print" in sys.argv:
        print(computed)
        return 0
    declared = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"][
        "rust-version"
    ]
    print(f"the dependency tree needs Rust {computed} ({', '.join(which)}); declared {declared}")
    if version_key(declared) < version_key(computed):
        print(f"error: raise [workspace.package] rust-version to {computed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
