"""The one resource every stage shares: where sources and the warehouse live."""

from pathlib import Path

import dagster as dg

from pipelines.lib.warehouse import Locations


class FlopcastResource(dg.ConfigurableResource):
    """Locations are configuration (Dagster config, CLI options or FLOPCAST_* environment variables)."""

    sources_dir: str
    warehouse_dir: str

    @property
    def locations(self) -> Locations:
        return Locations(sources_dir=Path(self.sources_dir), warehouse_dir=Path(self.warehouse_dir))
