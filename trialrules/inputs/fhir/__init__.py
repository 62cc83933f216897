"""
FHIR R4 input: a Bundle per patient, or a Bulk Data export directory of NDJSON.

Both adapters map resources to :class:`trialrules.language.models.PatientRecord` as
CONTRACT.md section 5 says (``resources.py``); ``bulk.py`` groups a Bulk export by
patient in a temporary SQLite database so memory stays bounded by one patient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trialrules.inputs.fhir.bulk import BulkAdapter
from trialrules.inputs.fhir.bundle import BundleAdapter, record_from_bundle
from trialrules.plugin import hookimpl

if TYPE_CHECKING:
    from trialrules.language.registry import Registry

__all__ = ["BulkAdapter", "BundleAdapter", "record_from_bundle", "trialrules_register_input_adapters"]


@hookimpl
def trialrules_register_input_adapters(registry: Registry) -> None:
    """Register the Bundle and the Bulk-directory adapters."""
    registry.add_input_adapter(BundleAdapter())
    registry.add_input_adapter(BulkAdapter())
