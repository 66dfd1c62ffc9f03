"""Parsing keeps nothing of the source alive (py-tree-sitter 0.26.1 never releases the chunks a read callback
returns: before the workaround in jsresolve.parse every parsed file's bytes stayed in memory for the life of the
process -- unbounded in `extgate serve` and scan-many workers)."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc

import pytest

from extgate.gates.code.jsresolve import ParseTimeout, parse


def _sources(n: int, size: int) -> list[bytes]:
    line = b"const a = require('x'); function f(a, b) { return a + b; }\n"
    return [line * (size // len(line)) + b"// %d\n" % i for i in range(n)]


def test_a_parsed_source_is_referenced_by_nothing_afterwards() -> None:
    for data in _sources(20, 2_000):  # one chunk: the read callback's slice is the source object itself
        before = sys.getrefcount(data)
        tree = parse("javascript", data, float("inf"))
        assert tree.root_node.child_count > 0
        del tree
        gc.collect()
        assert sys.getrefcount(data) == before


def test_parsing_many_large_sources_retains_no_memory() -> None:
    sources = _sources(60, 150_000)  # 9 MB in 64 KB chunks: leaked chunks would keep all of it
    parse("javascript", sources[0], float("inf"))  # thread-local state, grammar, parser set up
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        while sources:  # each source is dropped after its parse: only a leak could keep it
            tree = parse("javascript", sources.pop(), float("inf"))
            del tree
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert retained < 1_000_000, retained


def test_a_cancelled_parse_releases_its_source_too() -> None:
    data = _sources(1, 2_000)[0]
    before = sys.getrefcount(data)
    with pytest.raises(ParseTimeout):
        parse("javascript", data * 300, 0.0)  # a deadline in the past: the progress callback cancels
    with pytest.raises(ParseTimeout):
        parse("javascript", data, -1.0)
    gc.collect()
    assert sys.getrefcount(data) == before


def test_parses_on_several_threads_give_the_trees_of_their_own_sources() -> None:
    sources = {i: b"var v%d = %d;\n" % (i, i) * 3000 for i in range(8)}
    seen: dict[int, str] = {}

    def work(i: int) -> None:
        for _ in range(5):
            tree = parse("javascript", sources[i], float("inf"))
            first = tree.root_node.named_children[0]
            seen[i] = sources[i][first.start_byte : first.end_byte].decode()

    threads = [threading.Thread(target=work, args=(i,)) for i in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {i: f"var v{i} = {i};" for i in sources}
