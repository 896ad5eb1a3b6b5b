#!/usr/bin/env python3
"""Run every test: the template's and, through them, each generated project's.

Creates .venv and installs requirements-dev.txt on first use; extra
arguments go to pytest (e.g. ``-k bake``).
"""

import os
import sys

from _venv import ROOT, venv_python

python = venv_python()
os.chdir(ROOT)
os.execv(python, [str(python), "-m", "pytest", *sys.argv[1:]])
