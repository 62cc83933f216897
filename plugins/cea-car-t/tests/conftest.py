"""YAML cases in cases/ run through trialrules.testing (imported hooks: nested conftests cannot use pytest_plugins)."""

from trialrules.testing import pytest_collect_file, pytest_terminal_summary  # noqa: F401
