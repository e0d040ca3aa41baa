"""Open an account's dlt pipeline in a state its next step can trust, whatever a kill left.

dlt keeps each pipeline's working state in a folder beside the warehouse: `state.json`, the
schemas, and load packages on their way from extract to load. A run killed at any instant leaves
that folder in one of a few shapes: nothing yet, a state without schemas, packages extracted or
normalized but never loaded, or packages for a dataset that never reached the warehouse. Each
shape is repaired here, before anything is extracted, so no later step meets a half-made folder:

1. `dlt.pipeline()` reads the folder (a folder without `state.json` is started afresh).
2. The state is synced with the warehouse, the record of what landed: a newer state there
   replaces the local one; local packages for a dataset the warehouse never received are
   wiped, since nothing of them landed and the extract reads those rows again.
3. Packages left behind are normalized and loaded, and repeated rows they may bring are
   dropped, so this run's extract starts from a folder with nothing pending.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dlt

from pipelines.accounts import Account
from warehouse.destination import dlt_destination
from warehouse.location import state_dir

# A step that runs after packages were loaded: drops repeated rows in replaced tables.
AfterLoad = Callable[[dlt.Pipeline], object]


def pipelines_dir(warehouse: Path) -> Path:
    """dlt's working state lives beside the warehouse it belongs to, one folder per warehouse."""
    return state_dir(warehouse) / "pipelines"


def open_pipeline(account: Account, warehouse: Path, after_load: AfterLoad) -> dlt.Pipeline:
    """The account's pipeline, synced with the warehouse and with nothing pending.

    One pipeline (so one state: cursors, pending loads) per account, in its own dataset.
    """
    pipeline = dlt.pipeline(
        pipeline_name=account.pipeline_name,
        destination=dlt_destination(warehouse),
        dataset_name=account.dataset,
        pipelines_dir=str(pipelines_dir(warehouse)),
    )
    pipeline.sync_destination()
    if pipeline.has_pending_data:
        # dlt's run() would load these and skip this run's extract: land them first.
        pipeline.run()
    if has_schema(pipeline):
        after_load(pipeline)
    return pipeline


def has_schema(pipeline: dlt.Pipeline) -> bool:
    """Whether anything was ever extracted: a folder wiped by the sync, or new, has no schema."""
    name = pipeline.default_schema_name
    return name is not None and name in pipeline.schemas
