#!/usr/bin/env python3
"""Command-line entry: see `python pipeline.py --help`."""
from handouts.heap import end
from handouts.resident import main

if __name__ == "__main__":
    end(main())
