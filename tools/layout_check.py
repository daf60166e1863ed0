#!/usr/bin/env python3
"""The evidence #17 asks for, from the source alone (no build):

1. which top-level modules each module of src/ refers to (`crate::X`, or
   `super::X` from a file directly under src/X/), in the order src/lib.rs
   declares them, listing every reference to a module declared LATER and
   every cycle;
2. the longest functions (lines from `fn` to its closing brace);
3. every `unsafe` in the workspace.

Usage: python3 tools/layout_check.py [--top N]
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def lib_order():
    text = open(os.path.join(ROOT, "src/lib.rs")).read()
    return re.findall(r"^pub mod (\w+);", text, re.M)


def files_of(module):
    single = os.path.join(ROOT, "src", module + ".rs")
    folder = os.path.join(ROOT, "src", module)
    paths = [single] if os.path.exists(single) else []
    for base, _, names in os.walk(folder):
        paths += [os.path.join(base, n) for n in names if n.endswith(".rs")]
    return paths


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def code_only(text):
    """The source without `#[cfg(test)] mod tests { ... }` (tests may use anything)."""
    at = text.find("#[cfg(test)]\nmod tests")
    return text if at < 0 else text[:at]


def references(module, modules):
    refs = set()
    for path in files_of(module):
        text = strip_comments(code_only(open(path).read()))
        for name in re.findall(r"crate::(\w+)", text):
            refs.add(name)
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            refs.update(re.findall(r"\b(\w+)\b", group))
    return {r for r in refs if r in modules and r != module}


def longest_functions(top):
    found = []
    paths = []
    for base, _, names in os.walk(os.path.join(ROOT, "src")):
        paths += [os.path.join(base, n) for n in names if n.endswith(".rs")]
    for path in paths:
        lines = code_only(open(path).read()).split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)", line)
            if not m or line.rstrip().endswith(";"):
                continue
            depth, opened = 0, False
            for j in range(i, len(lines)):
                depth += lines[j].count("{") - lines[j].count("}")
                opened = opened or "{" in lines[j]
                if opened and depth <= 0:
                    found.append((j - i + 1, os.path.relpath(path, ROOT), i + 1, m.group(5)))
                    break
    return sorted(found, reverse=True)[:top]


def unsafe_sites():
    sites = []
    for base, _, names in os.walk(ROOT):
        if "/target" in base or "/.git" in base or "/fuzz" in base:
            continue
        for n in names:
            if n.endswith(".rs"):
                path = os.path.join(base, n)
                for k, line in enumerate(open(path), 1):
                    code = line.split("//")[0]
                    if re.search(r"\bunsafe\b", code):
                        sites.append(f"{os.path.relpath(path, ROOT)}:{k}: {line.strip()}")
    return sites


def main():
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 5
    order = lib_order()
    graph = {m: references(m, set(order)) for m in order}
    later = []
    print("Modules in src/lib.rs order, and the modules each refers to:")
    for i, m in enumerate(order):
        print(f"  {m:10} -> {', '.join(sorted(graph[m], key=order.index)) or '-'}")
        later += [(m, r) for r in graph[m] if order.index(r) > i]
    print("References to a module declared later:", later or "none")
    cycles = set()
    for m in order:
        stack = [(m, [m])]
        while stack:
            node, path = stack.pop()
            for r in graph[node]:
                if r == m:
                    cycles.add(" -> ".join(path + [m]))
                elif r not in path and len(path) < len(order):
                    stack.append((r, path + [r]))
    print("Cycles:", sorted(cycles) or "none")
    print(f"Longest functions (top {top}):")
    for n, path, line, name in longest_functions(top):
        print(f"  {n:4} lines  {path}:{line} {name}")
    print("unsafe:")
    for s in unsafe_sites():
        print("  " + s)


if __name__ == "__main__":
    main()
