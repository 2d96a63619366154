"""`sislab demo --source aeries-fake`: the sample district served by the fake Aeries API on
loopback and pulled through the real connector, so a newcomer sees it work — still offline."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path

from sislab.core import config, store
from sislab.core.importer import ImportReport, import_sis
from sislab.core.workspace import Workspace

from .aeries import import_from_aeries
from .aeries_map import mapping
from .fake_aeries import CERTIFICATE, FakeAeries, fixture_from_snapshot


def import_through_fake_aeries(ws: Workspace, sample: Path, user: str, say=print) -> ImportReport:
    """Serve `sample` (a CSV export) through the fake Aeries API and import it from there."""
    scratch = ws.tmp / f"aeries-demo-{uuid.uuid4().hex}"
    try:
        source = Workspace(scratch / "workspace", scratch / "reports")
        source.ensure()
        import_sis(sample, source, user=user)
        with store.snapshot(source) as con:
            fixture = fixture_from_snapshot(con)
        merge = scratch / "not-in-aeries"
        merge.mkdir()
        for path in Path(sample).glob("*.csv"):
            if path.stem.lower() not in mapping().tables():
                shutil.copyfile(path, merge / path.name)
        with FakeAeries(fixture) as fake:
            say(f"fake Aeries API at {fake.url} (the sample district); pulling it ...")
            settings = replace(config.load(ws), aeries_url=fake.url, aeries_certificate=CERTIFICATE,
                               aeries_prior_years=len(fixture.years) - 1)
            report, stats = import_from_aeries(ws, user=user, merge=merge, settings=settings)
        say(f"pulled {stats.records:,} records in {stats.requests:,} requests from {stats.schools} schools, "
            f"years {stats.years[0]}-{stats.years[-1]}; tables Aeries does not hold came from {sample}")
        return report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
