"""What only the benchmark uses: the ceiling view, the query-count header and the data generator.

The load runner itself (`run.py`, `soak.py`, `explain.py`) lives beside this package as scripts.
"""
