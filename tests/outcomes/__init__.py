"""Tests of trialrules.outcomes against independent references."""
