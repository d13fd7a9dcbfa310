"""Every file of the reference corpus served as a dataset through a real pyarrow.flight client:
GetFlightInfo plans it, and the first and last endpoints (small partitions) are read; their
batches must match the announced schema and no decodable file may fail. Values are checked
against the oracles by the decoder tests; this checks the path from decoder to client for every
variant. Skipped without the corpus (../shared/corpus or $WEKEO_CORPUS)."""
import json
import os
import pathlib

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import ROOT, _serve

CORPUS = pathlib.Path(os.environ.get("WEKEO_CORPUS", ROOT.parent / "shared" / "corpus"))
UNSUPPORTED = {"test_icon.grib", "spherical_harmonics.grib"}  # refused on purpose (README formats table)
NO_DATA = {"ref_test_360_day_1900.nc"}  # a time axis and no data variable: "no data variables found"


def corpus_files():
    if not (CORPUS / "MANIFEST.json").exists():
        return []
    return sorted(p for kind in ("grib", "netcdf", "geotiff") for p in (CORPUS / kind).iterdir() if not p.name.endswith(".json"))


@pytest.fixture(scope="module")
def corpus_bridge(tmp_path_factory):
    files = corpus_files()
    if not files:
        pytest.skip("no reference corpus here")
    root = tmp_path_factory.mktemp("corpus-catalog")
    for i, f in enumerate(files):
        d = root / f"f{i:03d}"
        d.mkdir()
        (d / f.name).symlink_to(f)
    gen = _serve(["--catalog", str(root), "--target-rows", "20000"])
    info = next(gen)
    info["files"] = {f"f{i:03d}": f.name for i, f in enumerate(files)}
    yield info
    gen.close()


def test_every_corpus_file_reads_through_flight(corpus_bridge):
    client = fl.connect(corpus_bridge["grpc"])
    problems = []
    for dataset, name in corpus_bridge["files"].items():
        try:
            info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": dataset})))
            assert info.total_records > 0, f"{name}: nothing planned"
            for e in {0: info.endpoints[0], 1: info.endpoints[-1]}.values():
                table = client.do_get(e.ticket).read_all()
                assert table.schema.equals(info.schema, check_metadata=False), f"{name}: batches do not match the announced schema"
                assert table.num_rows > 0, f"{name}: an empty partition"
            if name in UNSUPPORTED:
                problems.append(f"{name}: expected an unsupported error")
        except (fl.FlightError, pa.ArrowInvalid) as e:
            if name not in UNSUPPORTED and not (name in NO_DATA and "no data variables" in str(e)):
                problems.append(f"{name}: {e}")
    client.close()
    assert problems == []
