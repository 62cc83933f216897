pytest_plugins = ["trialrules.testing"]
