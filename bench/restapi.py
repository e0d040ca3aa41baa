"""dlt's rest_api source configured by hand for one collection, loaded into DuckDB: a child process.

`python -m bench.restapi nationbuilder|action_network --workdir DIR` reads the same settings the
civic-etl CLI reads (`SOURCES__NATIONBUILDER__BASE_URL`, `..._ACCESS_TOKEN`,
`SOURCES__ACTION_NETWORK__BASE_URL`, `..._API_KEY`) and loads NationBuilder signups or Action
Network people into `DIR/w.duckdb`, keeping dlt's working folder in `DIR/dlt`.

The configuration is what a competent user writes from each API's documentation and dlt's:
page-number paging until the first empty page, the credential in a header, the records' path;
rest_api's own defaults for everything else (one request at a time, its retries on 429 and 5xx
honouring Retry-After, no throttle of its own: rest_api has none). The values are written out
here rather than taken from `sources/`, because this is the user's hand-made configuration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.rest_api import RESTAPIConfig, rest_api_source
from dlt.sources.rest_api.typing import AuthConfig


def one_collection(
    base_url: str,
    auth: AuthConfig,
    page_param: str,
    name: str,
    params: dict[str, Any],
    data_selector: str,
) -> RESTAPIConfig:
    """One collection read by page number from 1 until the first empty page, loaded whole."""
    return {
        "client": {
            "base_url": base_url,
            "auth": auth,
            "paginator": {
                "type": "page_number",
                "page_param": page_param,
                "base_page": 1,
                "total_path": None,
            },
        },
        "resources": [
            {
                "name": name,
                "write_disposition": "replace",
                "endpoint": {"path": name, "params": params, "data_selector": data_selector},
            }
        ],
    }


def nationbuilder_config() -> RESTAPIConfig:
    """NB v2 JSON:API: `page[number]` and `page[size]` up to 100, records under `data`."""
    return one_collection(
        dlt.config["sources.nationbuilder.base_url"].rstrip("/") + "/api/v2/",
        {"type": "bearer", "token": dlt.secrets["sources.nationbuilder.access_token"]},
        page_param="page[number]",
        name="signups",
        params={"page[size]": 100},
        data_selector="data",
    )


def action_network_config() -> RESTAPIConfig:
    """AN HAL: `page` and `per_page` up to 25, records under `_embedded.osdi:people`."""
    return one_collection(
        dlt.config["sources.action_network.base_url"].rstrip("/") + "/",
        {
            "type": "api_key",
            "name": "OSDI-API-Token",
            "api_key": dlt.secrets["sources.action_network.api_key"],
            "location": "header",
        },
        page_param="page",
        name="people",
        params={"per_page": 25},
        data_selector="_embedded.'osdi:people'",
    )


CONFIGS = {"nationbuilder": nationbuilder_config, "action_network": action_network_config}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.restapi")
    parser.add_argument("api", choices=sorted(CONFIGS))
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    pipeline = dlt.pipeline(
        pipeline_name=f"rest_api_{args.api}",
        pipelines_dir=str(args.workdir / "dlt"),
        destination=dlt.destinations.duckdb(str(args.workdir / "w.duckdb")),
        dataset_name=args.api,
    )
    pipeline.run(rest_api_source(CONFIGS[args.api](), name=args.api))
    steps = pipeline.last_trace.steps if pipeline.last_trace else []
    seconds = {
        s.step: (s.finished_at - s.started_at).total_seconds() for s in steps if s.finished_at
    }
    print(json.dumps({"step_seconds": seconds}))


if __name__ == "__main__":
    main()
