"""YAML cases of the CEL001 plugin run through the trialrules pytest plugin."""

pytest_plugins = ["trialrules.testing"]
