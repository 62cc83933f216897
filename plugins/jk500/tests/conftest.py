"""JK500 plugin tests: YAML cases in cases/ are collected by trialrules.testing."""

pytest_plugins = ["trialrules.testing"]
