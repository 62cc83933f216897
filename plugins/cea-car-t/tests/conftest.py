"""pytest configuration: collect the YAML cases in cases/ with the trialrules plugin."""

pytest_plugins = ["trialrules.testing"]
