"""Content-addressed per-file result cache and the runner (cache + process pool) that wraps per-file analysis.

The engine builds one `FileRunner` per check from the options (`use_cache`, `cache_dir`, `jobs`) and hands it to
the gates as `ctx.map_files`; gates stay pure functions of their inputs.
"""

from extgate.cache.runner import FileRunner

__all__ = ["FileRunner"]
