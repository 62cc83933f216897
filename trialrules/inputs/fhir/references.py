"""
FHIR references: relative (``Patient/123``), absolute (``https://x/fhir/Patient/123``),
``urn:uuid:``/``urn:oid:`` (resolved through Bundle fullUrls) and contained (``#id``).

Inside a Bundle, a relative reference is relative to the service base of the entry's
own ``fullUrl`` (FHIR R4 §2.36.4, "Resolving references in Bundles"): ``Patient/1`` in
an entry from ``https://other.example/fhir/`` is ``https://other.example/fhir/Patient/1``,
not the Patient of another server that happens to have id 1.
"""

from __future__ import annotations

from typing import Any

_URN_PREFIXES = ("urn:uuid:", "urn:oid:")


def reference_of(value: Any) -> str | None:
    """The ``reference`` string of a Reference object, or None."""
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str) and ref:
            return ref
    return None


def type_and_id(ref: str) -> tuple[str, str] | None:
    """``(type, id)`` of a relative or absolute RESTful reference, else None.

    A version suffix (``/_history/2``) is ignored: the resource is the same one.
    """
    if ref.startswith(_URN_PREFIXES) or ref.startswith("#"):
        return None
    ref = ref.split("?", 1)[0]
    parts = [p for p in ref.split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2:
        return None
    rtype, rid = parts[-2], parts[-1]
    if not rtype[:1].isupper():  # resource types are capitalised; ``fhir/123`` is not one
        return None
    return rtype, rid


def patient_id(ref: str) -> str | None:
    """The Patient id a reference points to, when it is a RESTful Patient reference."""
    found = type_and_id(ref)
    if found is None or found[0] != "Patient":
        return None
    return found[1]


def resource_keys(resource: dict[str, Any], full_url: str | None) -> list[str]:
    """Every string a reference to this resource may use, for a Bundle's index."""
    keys: list[str] = []
    if full_url:
        keys.append(full_url)
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str) and rid:
        keys.append(f"{rtype}/{rid}")
    return keys


def lookup_key(ref: str) -> str | None:
    """The ``Type/id`` form of a RESTful reference (for matching against the index)."""
    found = type_and_id(ref)
    return None if found is None else f"{found[0]}/{found[1]}"


def service_base(url: str | None) -> str | None:
    """The service base of an absolute RESTful URL: ``https://x/fhir/`` of
    ``https://x/fhir/Observation/1`` (or of ``.../Observation/1/_history/2``); else None."""
    if not url or "://" not in url or type_and_id(url) is None:
        return None
    parts = url.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return "/".join(parts[:-2]) + "/"


def resolve(ref: str, entry_url: str | None) -> str:
    """A reference as a Bundle entry means it: a relative RESTful reference made absolute
    against the base of the entry's fullUrl (when that is a RESTful URL); an absolute one
    without its version; ``urn:`` and ``#`` references as they are."""
    if ref.startswith(_URN_PREFIXES) or ref.startswith("#"):
        return ref
    key = lookup_key(ref)
    if key is None:
        return ref
    if "://" in ref:
        base = service_base(ref)
        return base + key if base else ref
    base = service_base(entry_url)
    return base + key if base else key
