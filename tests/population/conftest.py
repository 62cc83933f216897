"""Fixtures for the population engines: exports written once per session, a private cache."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-01-15"
#: Synthetic patients for DuckDB (all five trials); Spark gets the first SPARK_PATIENTS of
#: another seed, to keep CI's Spark time to a minute or two on two cores.
DUCKDB_PATIENTS = 2000
SPARK_PATIENTS = 300


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_population", REPO / "examples" / "generate_population.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def criterion_ids() -> list[str]:
    """Every criterion id of the installed trials (the attestations the population answers)."""
    from trialrules import Engine

    return sorted({c.id for t in Engine().trials for top in t.criteria for c in top.walk()})


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Ingests go to a fresh cache folder, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("TRIALRULES_CACHE")
    os.environ["TRIALRULES_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("TRIALRULES_CACHE", None)
    else:
        os.environ["TRIALRULES_CACHE"] = old
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def synthetic_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("population") / "export"
    return generator().write_population(DUCKDB_PATIENTS, out, seed=7, attest_ids=criterion_ids())


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("population-small") / "export"
    return generator().write_population(SPARK_PATIENTS, out, seed=11, attest_ids=criterion_ids())


@pytest.fixture(scope="session")
def examples_export() -> Path:
    return REPO / "examples" / "fhir" / "bulk"


def spark_available() -> str:
    """Why Spark cannot run here, or '' when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'trialrules[spark]')"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "Java is not installed (.ci/run installs openjdk-17-jre-headless)"
    return ""
