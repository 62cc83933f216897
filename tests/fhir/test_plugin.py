"""Registration through the input-adapter hook."""

from __future__ import annotations

import trialrules.inputs.fhir
from trialrules.language.registry import Registry


def test_registers_both_adapters() -> None:
    registry = Registry()
    trialrules.inputs.fhir.trialrules_register_input_adapters(registry)
    assert [a.name for a in registry.input_adapters] == ["fhir-bundle", "fhir-bulk"]
    for adapter in registry.input_adapters:
        assert callable(adapter.sniff) and callable(adapter.read)
    assert callable(registry.input_adapters[1].count)  # type: ignore[attr-defined]


def test_is_a_hookimpl() -> None:
    impl = trialrules.inputs.fhir.trialrules_register_input_adapters
    assert hasattr(impl, "trialrules_impl")
