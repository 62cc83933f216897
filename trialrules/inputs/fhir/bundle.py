"""
The FHIR Bundle adapter: one Bundle file holding one patient's resources.

Bundle types ``collection``, ``searchset``, ``transaction``, ``batch`` and
``document`` are read (a document's Composition is skipped like any resource type
the contract does not use). A Bundle must hold exactly one Patient; a clinical
resource whose subject is missing or is not that Patient is skipped with a
warning: attributing it to the only patient would be a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trialrules.errors import InputError, shown
from trialrules.inputs import gc_paused as _gc
from trialrules.inputs.fhir import jsonfile
from trialrules.inputs.fhir.references import lookup_key, resolve, resource_keys, service_base
from trialrules.inputs.fhir.resources import SUBJECT_FIELD, RecordBuilder
from trialrules.inputs.fhir.where import Where, message
from trialrules.language.models import InputFailure, PatientRecord

BUNDLE_TYPES = frozenset({"collection", "searchset", "transaction", "batch", "document"})

# Enough to recognise a Bundle whose JSON is broken (truncated...), so that this
# adapter, not a generic "unknown input" message, explains what is wrong with it.
_BUNDLE_HEAD = re.compile(rb'"resourceType"\s*:\s*"Bundle"')


def _failure(file: str, text: str, resource: str | None = None, path: str | None = None) -> InputFailure:
    return InputFailure(file, InputError(text, file=file, resource=resource, path=path).format_message())


def record_from_bundle(document: Any, file: str) -> PatientRecord | InputFailure:
    """Map one parsed Bundle to the patient's record, or say why it cannot be."""
    try:
        with _gc.paused():  # the record's objects all live until it is built
            return _record_from_bundle(document, file)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not stop the batch
        # Conservative: a resource we failed to read might be the one that excludes
        # the patient, so the whole input fails rather than dropping it.
        return _failure(file, f"could not be read ({type(exc).__name__}: {exc})")


def _record_from_bundle(doc: Any, file: str) -> PatientRecord | InputFailure:
    if not isinstance(doc, dict):
        return _failure(file, f"is not a FHIR Bundle (a JSON {type(doc).__name__}, not an object)")
    rtype = doc.get("resourceType")
    if rtype != "Bundle":
        what = "has no resourceType" if rtype is None else f"has resourceType {rtype!r}"
        return _failure(file, f"is not a FHIR Bundle: the document {what}", path="$.resourceType")
    raw_type = doc.get("type")
    btype = raw_type if isinstance(raw_type, str) or raw_type is None else repr(raw_type)
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        return _failure(file, "Bundle entry is not a list", path="$.entry")
    warnings: list[str] = []
    bundle_where = Where(file)
    if btype not in BUNDLE_TYPES:
        if btype is not None:
            return _failure(file, f"Bundle type {btype!r} is not read (only "
                            + ", ".join(sorted(BUNDLE_TYPES)) + ")", path="$.type")
        warnings.append(message("Bundle has no type; read as a collection", bundle_where, path=".type"))

    # Pass 1: sort entries into the Patient(s), clinical resources, and the rest
    # (kept for resolving Medication references).
    patients: list[tuple[int, dict[str, Any], str | None]] = []
    clinical: list[tuple[int, dict[str, Any], str | None, str]] = []
    others: list[tuple[dict[str, Any], str | None]] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if type(entry) is dict else None
        if type(resource) is not dict:
            if not (type(entry) is dict and type(entry.get("request")) is dict):
                warnings.append(message("entry has no resource; skipped", bundle_where, path=f".entry[{i}]"))
            continue  # a transaction DELETE or a GET carries no resource: nothing to read
        full_url = entry.get("fullUrl")
        full_url = full_url if type(full_url) is str and full_url else None
        rtype = resource.get("resourceType")
        if rtype == "Patient":
            patients.append((i, resource, full_url))
        elif type(rtype) is str and rtype in SUBJECT_FIELD:
            clinical.append((i, resource, full_url, rtype))
        else:
            # Composition, Encounter, Medication, Practitioner...: not patient data we use
            others.append((resource, full_url))
    if not patients:
        return _failure(file, "Bundle has no Patient resource (one patient per Bundle)", path="$.entry")
    if len(patients) > 1:
        listed = ", ".join(f"entry[{i}]" for i, _, _ in patients[:5])
        return _failure(file, f"Bundle has {len(patients)} Patient resources ({listed}); "
                        "a Bundle must hold exactly one patient", path="$.entry")

    p_index, patient, p_url = patients[0]
    builder = RecordBuilder(patient, Where(file, None, p_index, p_url), _Index(others), file)
    builder.warnings[:0] = warnings
    relative = f"Patient/{builder.id}"
    # The Patient's absolute URL when its fullUrl is a RESTful one: references are then
    # compared as FHIR resolves them (against each entry's own base).
    p_base = service_base(p_url)
    p_absolute = p_base + relative if p_base else None

    # Pass 2: every clinical resource about this patient.
    for i, resource, full_url, rtype in clinical:
        at = Where(file, None, i, full_url)
        field = SUBJECT_FIELD[rtype]
        subject = resource.get(field)
        ref = subject.get("reference") if type(subject) is dict else None
        # the usual cases, decided without parsing the reference
        if type(ref) is str and (ref == p_url or ref == relative and (
                full_url is None or p_base is None or full_url.startswith(p_base))):
            builder.add(resource, at, rtype)
            continue
        if type(ref) is not str or not ref:
            builder.set_aside(resource, at, rtype, _unreferenced(subject, field), "." + field)
            continue
        resolved = resolve(ref, full_url)
        if p_absolute is not None and "://" in resolved:
            mine = resolved == p_absolute
        else:  # no base to tell servers apart: the Patient by type and id
            mine = lookup_key(resolved) == relative
        if mine:
            builder.add(resource, at, rtype)
        elif ref.startswith("#"):
            builder.set_aside(resource, at, rtype, f"{field} {shown(ref)} is a contained Patient, not this "
                              "Bundle's Patient", f".{field}.reference")
        else:
            shown_ref = shown(ref) + (f" (that is {shown(resolved)})" if resolved not in (ref, lookup_key(ref)) else "")
            builder.set_aside(resource, at, rtype, f"{field} {shown_ref} is not this Bundle's Patient",
                              f".{field}.reference")
    return builder.build()


def _unreferenced(subject: Any, field: str) -> str:
    """Why a resource without a subject reference cannot be attributed to the patient."""
    identifier = subject.get("identifier") if type(subject) is dict else None
    if type(identifier) is dict and type(identifier.get("value")) is str:
        system = identifier.get("system")
        named = f"{system}|{identifier['value']}" if type(system) is str else identifier["value"]
        return f"{field} is given only by identifier ({shown(named)}), which does not resolve to a resource"
    return f"has no {field} reference, so it cannot be attributed to a patient"


class _Index:
    """Finds a bundled resource (a Medication) by reference; built on first use,
    because most Bundles never need it (medications given as CodeableConcepts)."""

    def __init__(self, resources: list[tuple[dict[str, Any], str | None]]) -> None:
        self._resources = resources
        self._index: dict[str, dict[str, Any]] | None = None

    def __call__(self, ref: str) -> dict[str, Any] | None:
        if self._index is None:
            self._index = {}
            for resource, full_url in self._resources:
                for key in resource_keys(resource, full_url):
                    self._index.setdefault(key, resource)
        found = self._index.get(ref)
        if found is None:
            other = lookup_key(ref)
            found = self._index.get(other) if other else None
        return found


class BundleAdapter:
    """Input adapter for a FHIR R4 Bundle JSON file (one patient)."""

    name = "fhir-bundle"

    def sniff(self, path: Path, head: Any) -> bool:
        """A JSON object with a ``resourceType`` (Bundle or another resource, which
        :meth:`read` then reports as not a Bundle), or an unparsable file that
        starts like a Bundle."""
        if isinstance(head, dict):
            return "resourceType" in head
        if head is None and path.is_file():
            try:
                with path.open("rb") as fh:
                    return _BUNDLE_HEAD.search(fh.read(4096)) is not None
            except OSError:
                return False
        return False

    def read(self, path: Path, document: Any = None) -> Iterator[PatientRecord | InputFailure]:
        """Yield the one patient's record, or one failure."""
        file = str(path)
        if document is None:
            try:
                data = path.read_bytes()
            except OSError as exc:
                yield _failure(file, f"cannot be read: {exc.strerror or exc}")
                return
            document, problem = jsonfile.loads(data)
            if problem is not None:
                yield _failure(file, problem)
                return
        yield record_from_bundle(document, file)
