"""Rewrites a benchmark script's block in a Markdown file.

    BLOCK="..." python3 tests/benchmarks/write-block.py NAME FILE

Replaces the text from '<!-- NAME:begin' to '<!-- NAME:end -->' in FILE with the BLOCK environment variable
(which holds both markers); a file without the block is left as it is.
"""
import os
import re
import sys

name, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
pattern = re.compile(r"<!-- " + re.escape(name) + r":begin.*?<!-- " + re.escape(name) + r":end -->", re.S)
if pattern.search(text):
    open(path, "w", encoding="utf-8").write(pattern.sub(lambda m: os.environ["BLOCK"], text))
